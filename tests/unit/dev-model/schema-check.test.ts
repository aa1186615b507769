import { describe, expect, it } from "vitest";
import type { JsonSchema } from "@/dev/model/json-schema";
import { conformsTo, schemaProblems } from "@/dev/model/schema-check";
import { schemaProblem } from "@/dev/model/schema-lint";

const person: JsonSchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 2, pattern: "^[A-Z]" },
    age: { type: "integer", minimum: 0, exclusiveMaximum: 150 },
    email: { type: "string", format: "email" },
    tags: { type: "array", items: { enum: ["a", "b"] }, uniqueItems: true, maxItems: 2 },
    friend: { $ref: "#" },
  },
  required: ["name", "age"],
  additionalProperties: false,
};

describe("schemaProblems", () => {
  it("accepts a conforming value, recursively through $ref", () => {
    expect(
      schemaProblems(person, { name: "Ada", age: 36, friend: { name: "Bo", age: 1, tags: ["a"] } }),
    ).toEqual([]);
  });

  it("names each problem with its path", () => {
    const problems = schemaProblems(person, {
      name: "x",
      age: 150.5,
      email: "nope",
      tags: ["a", "a", "c"],
      extra: 1,
      friend: { age: -1 },
    });
    expect(problems).toEqual([
      "$.name: shorter than 2",
      "$.name: does not match /^[A-Z]/",
      "$.age: expected integer, got number",
      "$.age: not < 150",
      "$.email: not a valid email",
      "$.tags: more than 2 items",
      "$.tags: items are not unique",
      '$.tags[2]: must be one of ["a","b"]',
      "$.extra: no value is allowed here",
      "$.friend: missing required property 'name'",
      "$.friend.age: less than 0",
    ]);
  });

  it("handles anyOf, oneOf, not and boolean schemas", () => {
    const schema: JsonSchema = { anyOf: [{ type: "string" }, { type: "null" }], not: { const: "no" } };
    expect(conformsTo(schema, null)).toBe(true);
    expect(conformsTo(schema, "no")).toBe(false);
    expect(conformsTo(schema, 1)).toBe(false);
    expect(conformsTo({ oneOf: [{ type: "number" }, { type: "integer" }] }, 1)).toBe(false);
    expect(conformsTo(false, 1)).toBe(false);
    expect(conformsTo(true, 1)).toBe(true);
  });
});

describe("schemaProblem (structure of a schema)", () => {
  it.each([
    [{ type: "object", properties: { a: { type: "strin" } } }, "$.properties.a.type"],
    [{ type: "array", items: [{ type: "string" }, { minLength: "3" }] }, "$.items[1].minLength"],
    [{ anyOf: { type: "string" } }, "$.anyOf"],
    [{ properties: { a: { pattern: "(" } } }, "$.properties.a.pattern"],
    [{ required: [1] }, "$.required"],
  ])("finds the bad keyword in %j", (schema, path) => {
    expect(schemaProblem(schema, "$")?.path).toBe(path);
  });

  it("refuses absurdly deep nesting instead of walking it", () => {
    let schema: JsonSchema = { type: "string" };
    for (let level = 0; level < 100; level++) schema = { not: schema };
    expect(schemaProblem(schema, "$")?.problem).toBe("nests deeper than 64 levels");
  });

  it("accepts well-formed schemas", () => {
    expect(schemaProblem(person, "$")).toBeUndefined();
  });
});
