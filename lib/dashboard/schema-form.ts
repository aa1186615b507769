import { z } from "zod";

/**
 * A trigger form derived from a workflow's zod input schema (via JSON Schema): one field per top-level
 * property; nested objects and arrays are edited as JSON. zod stays the judge: the form only turns
 * text into values and catches the obvious mistakes before a round trip.
 */
export type FieldKind = "text" | "textarea" | "number" | "integer" | "boolean" | "select" | "json";

export interface FormField {
  /** Property name; "" when the whole input is one JSON value (a non-object schema). */
  name: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: string[];
  defaultValue?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  /** JSON fields: a value of the right shape, shown as the placeholder. */
  example?: string;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** Values this far from zero are zod's "any safe integer" bounds, not limits worth showing. */
const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

export function formFieldsFor(schema: z.ZodType): FormField[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  if (json.type !== "object" || !json.properties) {
    return [{ name: "", kind: "json", required: true, description: json.description }];
  }
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties).map(([name, property]) =>
    fieldFor(name, property, required.has(name) && property.default === undefined),
  );
}

function fieldFor(name: string, property: JsonSchema, required: boolean): FormField {
  const field: FormField = { name, kind: kindOf(property), required };
  if (property.description) field.description = property.description;
  if (property.default !== undefined) field.defaultValue = property.default;
  if (property.enum?.every((value) => typeof value === "string")) field.options = property.enum as string[];
  if (property.minLength !== undefined) field.minLength = property.minLength;
  if (property.maxLength !== undefined) field.maxLength = property.maxLength;
  if (property.minimum !== undefined && Math.abs(property.minimum) < SAFE_BOUND)
    field.minimum = property.minimum;
  if (property.maximum !== undefined && Math.abs(property.maximum) < SAFE_BOUND)
    field.maximum = property.maximum;
  if (property.pattern) field.pattern = property.pattern;
  if (field.kind === "json") field.example = JSON.stringify(sampleOf(property, 0));
  return field;
}

/** A small value of the schema's shape (defaults and first options where given). */
function sampleOf(schema: JsonSchema, depth: number): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (depth > 3) return null;
  if (type === "object" || schema.properties) {
    const entries = Object.entries(schema.properties ?? {}).map(([name, property]) => [
      name,
      sampleOf(property, depth + 1),
    ]);
    return Object.fromEntries(entries);
  }
  if (type === "array") return schema.items ? [sampleOf(schema.items, depth + 1)] : [];
  if (type === "string") return schema.format === "uri" ? "https://example.com" : "…";
  if (type === "integer" || type === "number")
    return schema.minimum !== undefined && Math.abs(schema.minimum) < SAFE_BOUND ? schema.minimum : 0;
  if (type === "boolean") return false;
  if (schema.anyOf?.[0]) return sampleOf(schema.anyOf[0], depth + 1);
  return null;
}

function kindOf(property: JsonSchema): FieldKind {
  if (property.enum?.every((value) => typeof value === "string")) return "select";
  switch (property.type) {
    case "string":
      // Prose is what a schema lets run long; an unbounded or short string (an id, a name) is one line.
      return (property.maxLength ?? 0) > 200 ? "textarea" : "text";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "json";
  }
}

/** What the browser submits for a field: text, or a checkbox state. */
export type RawValue = string | boolean | undefined;

/** A field's problem before the input is even built, or undefined. */
export function checkField(field: FormField, raw: RawValue): string | undefined {
  if (field.kind === "boolean") return undefined;
  const text = typeof raw === "string" ? raw : "";
  if (text.trim() === "") return field.required ? "Required" : undefined;
  if (field.kind === "number" || field.kind === "integer") {
    const value = Number(text);
    if (!Number.isFinite(value)) return "Must be a number";
    if (field.kind === "integer" && !Number.isInteger(value)) return "Must be a whole number";
    if (field.minimum !== undefined && value < field.minimum) return `Must be at least ${field.minimum}`;
    if (field.maximum !== undefined && value > field.maximum) return `Must be at most ${field.maximum}`;
    return undefined;
  }
  if (field.kind === "json") return parseJson(text) === INVALID ? "Must be valid JSON" : undefined;
  if (field.minLength !== undefined && text.length < field.minLength) {
    return `At least ${field.minLength} character${field.minLength === 1 ? "" : "s"}`;
  }
  if (field.maxLength !== undefined && text.length > field.maxLength)
    return `At most ${field.maxLength} characters`;
  if (field.pattern && !new RegExp(field.pattern).test(text)) return `Must match ${field.pattern}`;
  return undefined;
}

export interface BuiltInput {
  input: unknown;
  /** Field name → message, for fields whose text could not become a value. */
  problems: Record<string, string>;
}

/** Turns submitted form values into the workflow input; blank optional fields are left out. */
export function inputFromForm(fields: FormField[], values: Record<string, RawValue>): BuiltInput {
  const problems: Record<string, string> = {};
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = values[field.name];
    const problem = checkField(field, raw);
    if (problem) {
      problems[field.name] = problem;
      continue;
    }
    const value = fieldValue(field, raw);
    if (field.name === "") return { input: value, problems };
    if (value !== undefined) input[field.name] = value;
  }
  return { input, problems };
}

function fieldValue(field: FormField, raw: RawValue): unknown {
  if (field.kind === "boolean") return raw === true || raw === "on" || raw === "true";
  const text = typeof raw === "string" ? raw : "";
  if (text.trim() === "") return undefined;
  if (field.kind === "number" || field.kind === "integer") return Number(text);
  if (field.kind === "json") return parseJson(text);
  return text;
}

/** The text a field starts with: its default, else empty. */
export function initialText(field: FormField): string {
  if (field.defaultValue === undefined) return "";
  if (field.kind === "json") return JSON.stringify(field.defaultValue, null, 2);
  return String(field.defaultValue);
}

const INVALID = Symbol("invalid");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

/** zod issue paths (`items.0.sku`) → the form field they belong to (`items`), first message wins. */
export function problemsByField(issues: Array<{ path: string; message: string }>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const issue of issues) {
    const [head = "", ...rest] = issue.path.split(".");
    const message = rest.length > 0 ? `${rest.join(".")}: ${issue.message}` : issue.message;
    problems[head] ??= message;
  }
  return problems;
}
