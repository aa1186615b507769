import { describe, expect, it } from "vitest";
import { z } from "zod";
import { nextFireTimes } from "@/lib/dashboard/cron";
import { checkField, formFieldsFor, inputFromForm, problemsByField } from "@/lib/dashboard/schema-form";

const schema = z.object({
  name: z.string().min(1).max(100),
  count: z.number().int().min(1).max(10).optional(),
  mode: z.enum(["fast", "careful"]).default("fast"),
  notify: z.boolean(),
  tags: z.array(z.string()).optional(),
});

describe("formFieldsFor", () => {
  it("derives one field per property from the zod schema", () => {
    const fields = formFieldsFor(schema);
    expect(fields.map((field) => [field.name, field.kind, field.required])).toEqual([
      ["name", "text", true],
      ["count", "integer", false],
      ["mode", "select", false],
      ["notify", "boolean", true],
      ["tags", "json", false],
    ]);
    expect(fields[0]).toMatchObject({ minLength: 1, maxLength: 100 });
    expect(fields[1]).toMatchObject({ minimum: 1, maximum: 10 });
    expect(fields[2]).toMatchObject({ options: ["fast", "careful"], defaultValue: "fast" });
  });

  it("keeps ids on one line, gives long prose a text area and JSON fields an example of their shape", () => {
    const fields = formFieldsFor(
      z.object({
        userId: z.string(),
        question: z.string().max(2_000),
        sources: z.array(z.object({ url: z.url(), agent: z.string().default("web") })),
      }),
    );
    expect(fields.map((field) => field.kind)).toEqual(["text", "textarea", "json"]);
    expect(fields[2]?.example).toBe('[{"url":"https://example.com","agent":"web"}]');
  });

  it("falls back to one JSON field for a non-object input", () => {
    expect(formFieldsFor(z.array(z.number()))).toEqual([expect.objectContaining({ name: "", kind: "json" })]);
  });
});

describe("inputFromForm", () => {
  const fields = formFieldsFor(schema);

  it("turns form text into typed values and leaves blank optional fields out", () => {
    const built = inputFromForm(fields, { name: "Ada", count: "3", mode: "careful", notify: true, tags: "" });
    expect(built).toEqual({ input: { name: "Ada", count: 3, mode: "careful", notify: true }, problems: {} });
    expect(schema.safeParse(built.input).success).toBe(true);
  });

  it("reports problems per field before zod sees the input", () => {
    const built = inputFromForm(fields, { name: "", count: "2.5", notify: false, tags: "[oops" });
    expect(built.problems).toEqual({
      name: "Required",
      count: "Must be a whole number",
      tags: "Must be valid JSON",
    });
  });

  it("checks bounds and patterns on blur", () => {
    const [name, count] = fields;
    expect(checkField(name as never, "x".repeat(101))).toBe("At most 100 characters");
    expect(checkField(count as never, "11")).toBe("Must be at most 10");
    expect(checkField({ name: "code", kind: "text", required: true, pattern: "^[A-Z]+$" }, "abc")).toMatch(
      /match/,
    );
  });

  it("maps nested zod issue paths to their top-level field", () => {
    expect(
      problemsByField([
        { path: "tags.1", message: "Expected string" },
        { path: "name", message: "Too short" },
      ]),
    ).toEqual({
      tags: "1: Expected string",
      name: "Too short",
    });
  });
});

describe("nextFireTimes", () => {
  it("computes fire times in the schedule's own timezone", () => {
    const from = new Date("2026-03-27T12:00:00Z");
    const { timezone, times } = nextFireTimes("CRON_TZ=Europe/Berlin 0 9 * * *", 3, from);
    expect(timezone).toBe("Europe/Berlin");
    // Berlin moves to summer time on 29 March: 09:00 local is 08:00 UTC before, 07:00 UTC after.
    expect(times.map((time) => time.toISOString())).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
    expect(nextFireTimes("*/15 * * * *", 5, from).timezone).toBe("UTC");
  });
});
