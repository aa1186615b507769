import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JsonSchema } from "@/dev/model/json-schema";
import { schemaProblems } from "@/dev/model/schema-check";
import { generateSchemaValue, type ValueHints } from "@/dev/model/schema-value";

/** Checks a generated value with zod's own JSON Schema reading and with the dev model's checker. */
function expectValid(schema: JsonSchema, value: unknown): void {
  const viaZod = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value);
  expect(viaZod.error?.issues ?? [], JSON.stringify(value)).toEqual([]);
  expect(schemaProblems(schema, value), JSON.stringify(value)).toEqual([]);
}

const zodSchemas: Record<string, z.ZodType> = {
  "bounded strings and numbers": z.object({
    name: z.string().min(5).max(8),
    count: z.int().min(3).max(9),
    ratio: z.number().gt(1).lt(2).multipleOf(0.25),
    negative: z.number().max(-10),
  }),
  "enums, literals, nullables and unions": z.object({
    role: z.enum(["admin", "member"]),
    kind: z.literal("event"),
    nickname: z.string().nullable(),
    either: z.union([z.number(), z.boolean()]),
    optional: z.string().optional(),
  }),
  "formats and patterns": z.object({
    email: z.email(),
    id: z.uuid(),
    site: z.url(),
    when: z.iso.datetime(),
    day: z.iso.date(),
    code: z.string().regex(/^[A-Z]{3}-\d{2,4}$/),
    ip: z.ipv4(),
  }),
  "nested objects and arrays": z.object({
    items: z
      .array(z.object({ sku: z.string(), qty: z.int().positive(), tags: z.array(z.string()).max(0) }))
      .min(3),
    matrix: z.array(z.array(z.number()).length(2)),
    choices: z.array(z.enum(["a", "b", "c"])).min(3),
    tuple: z.tuple([z.string(), z.number(), z.boolean()]),
    record: z.record(z.string(), z.number()),
  }),
  "recursive tree": (() => {
    type Node = { label: string; children: Node[] };
    const node: z.ZodType<Node> = z.lazy(() => z.object({ label: z.string(), children: z.array(node) }));
    return node;
  })(),
};

describe("generateSchemaValue", () => {
  describe.each(["draft-7", "draft-2020-12"] as const)("with zod-made %s schemas", (target) => {
    it.each(Object.entries(zodSchemas))("%s", (_, zodSchema) => {
      const schema = z.toJSONSchema(zodSchema, { target }) as JsonSchema;
      const value = generateSchemaValue(schema);
      expectValid(schema, value);
      expect(zodSchema.safeParse(value).error).toBeUndefined();
    });
  });

  it.each<[string, JsonSchema]>([
    ["boolean true", true],
    ["empty schema", {}],
    ["type list", { type: ["null", "integer"], minimum: 5 }],
    [
      "allOf merge",
      {
        allOf: [
          { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          { properties: { b: { type: "number" } }, required: ["b"] },
        ],
      },
    ],
    ["oneOf with a null branch", { oneOf: [{ type: "null" }, { type: "string", minLength: 2 }] }],
    [
      "draft-07 $ref into definitions",
      {
        $schema: "http://json-schema.org/draft-07/schema#",
        definitions: { money: { type: "number", minimum: 0.5 } },
        type: "object",
        properties: { price: { $ref: "#/definitions/money" } },
        required: ["price"],
      },
    ],
    [
      "2020-12 $ref into $defs",
      {
        $defs: { id: { type: "string", pattern: "^id-[0-9]+$" } },
        type: "array",
        items: { $ref: "#/$defs/id" },
        minItems: 2,
      },
    ],
    [
      "minProperties on a record",
      { type: "object", additionalProperties: { type: "boolean" }, minProperties: 2 },
    ],
    ["uniqueItems strings", { type: "array", items: { type: "string" }, minItems: 3, uniqueItems: true }],
    ["uniqueItems enum", { type: "array", items: { enum: ["x", "y", "z"] }, minItems: 3, uniqueItems: true }],
    ["exclusive integer bounds", { type: "integer", exclusiveMinimum: 10, exclusiveMaximum: 12 }],
    ["const", { type: "object", properties: { v: { const: 3 } }, required: ["v"] }],
    ["maxLength below the derived text", { type: "string", maxLength: 3 }],
  ])("%s", (_, schema) => {
    expectValid(schema, generateSchemaValue(schema));
  });

  it("uses values the context offers when they fit, and ignores those that do not", () => {
    const schema: JsonSchema = {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer", maximum: 7 },
        metric: { type: "boolean" },
        zip: { type: "string", pattern: "^\\d{5}$" },
      },
      required: ["city", "days", "metric", "zip"],
    };
    const offered: Record<string, unknown> = { city: "Oslo", days: "30", metric: "false", zip: "abc" };
    const hints: ValueHints = { lookup: (name) => offered[name], text: "context text" };

    const value = generateSchemaValue(schema, hints) as Record<string, unknown>;

    expect(value).toMatchObject({ city: "Oslo", metric: false });
    expect(value.days).not.toBe(30);
    expect(value.zip).toMatch(/^\d{5}$/);
    expectValid(schema, value);
  });

  it("derives plain strings from the context text", () => {
    const value = generateSchemaValue(
      { type: "string" },
      { lookup: () => undefined, text: "  some   prompt  " },
    );
    expect(value).toBe("some prompt");
  });

  it("is deterministic", () => {
    const schema = z.toJSONSchema(zodSchemas["formats and patterns"] ?? z.never()) as JsonSchema;
    expect(generateSchemaValue(schema)).toEqual(generateSchemaValue(structuredClone(schema)));
  });
});
