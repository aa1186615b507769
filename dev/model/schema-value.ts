/**
 * Builds a JSON value that is valid against a JSON Schema, deterministically. Where the context
 * offers a value for a property (a `name=value` in the prompt, a field of a tool result), that value
 * is used if it fits; otherwise one is made up from the schema's constraints and the context text.
 */
import { createHash } from "node:crypto";
import {
  deref,
  enumOf,
  isPlainObject,
  type JsonSchema,
  type JsonSchemaObject,
  type JsonType,
  mergeAllOf,
  numberKeyword,
  propertiesOf,
  requiredOf,
  schemaKeyword,
  schemaListKeyword,
  stringKeyword,
  typesOf,
} from "./json-schema";
import { sampleMatching } from "./regex-sample";
import { compilePattern, conformsTo, isMultipleOf, itemSchemas, matchesFormat } from "./schema-check";

/** Where generated values come from, besides the schema itself. */
export interface ValueHints {
  /** A value the context gives for a property name, if any. */
  lookup(name: string): unknown;
  /** Free text that string values are derived from when nothing better is known. */
  text: string;
}

export const NO_HINTS: ValueHints = { lookup: () => undefined, text: "dev model value" };

/** Beyond this depth recursive schemas only get what they require. */
const SHALLOW_DEPTH = 6;
const MAX_STRING_FROM_TEXT = 80;

interface Position {
  root: JsonSchema;
  hints: ValueHints;
  /** The value the context offers for this exact position, if any. */
  offered: unknown;
  /** The property name this value is for, if it is one. */
  name: string | undefined;
  /** Index among siblings that must differ (array items under `uniqueItems`). */
  variant: number;
  depth: number;
}

export function generateSchemaValue(schema: JsonSchema, hints: ValueHints = NO_HINTS): unknown {
  return generate(schema, { root: schema, hints, offered: undefined, name: undefined, variant: 0, depth: 0 });
}

function generate(input: JsonSchema, at: Position): unknown {
  const resolved = deref(input, at.root);
  if (typeof resolved === "boolean") return at.offered ?? textFor(at);
  const schema = mergeAllOf(resolved, at.root);
  const offered = coerceOffered(schema, at.offered);
  if (offered !== undefined && conformsTo(schema, offered, at.root)) return offered;
  if ("const" in schema) return schema.const;
  const allowed = enumOf(schema);
  if (allowed && allowed.length > 0) return allowed[at.variant % allowed.length];
  const branch = pickBranch(schema, at);
  if (branch !== undefined) return generate(branch, at);
  return generateForType(schema, pickType(schema), at);
}

/** For anyOf/oneOf, the first branch that is not just `null` (a nullable field gets a real value). */
function pickBranch(schema: JsonSchemaObject, at: Position): JsonSchema | undefined {
  const branches = schemaListKeyword(schema, "anyOf") ?? schemaListKeyword(schema, "oneOf");
  if (!branches || branches.length === 0) return undefined;
  const { anyOf: _a, oneOf: _o, ...siblings } = schema;
  const useful = branches.find((branch) => {
    const target = deref(branch, at.root);
    return !(typeof target === "object" && typesOf(target).join() === "null");
  });
  const chosen = useful ?? branches[0];
  if (chosen === undefined) return undefined;
  if (Object.keys(siblings).length === 0) return chosen;
  const target = deref(chosen, at.root);
  return typeof target === "object" ? { ...siblings, ...target } : target;
}

function pickType(schema: JsonSchemaObject): JsonType | undefined {
  const types = typesOf(schema);
  return types.find((type) => type !== "null") ?? types[0];
}

function generateForType(schema: JsonSchemaObject, type: JsonType | undefined, at: Position): unknown {
  switch (type) {
    case "object":
      return generateObject(schema, at);
    case "array":
      return generateArray(schema, at);
    case "string":
      return generateString(schema, at);
    case "integer":
      return generateNumber(schema, at, true);
    case "number":
      return generateNumber(schema, at, false);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return textFor(at);
  }
}

function generateObject(schema: JsonSchemaObject, at: Position): Record<string, unknown> {
  const offered = isPlainObject(at.offered) ? at.offered : undefined;
  const required = new Set(requiredOf(schema));
  const shallow = at.depth >= SHALLOW_DEPTH;
  const out: Record<string, unknown> = {};
  for (const [name, propertySchema] of propertiesOf(schema)) {
    if (shallow && !required.has(name)) continue;
    const childOffered = offered?.[name] ?? at.hints.lookup(name);
    out[name] = generate(propertySchema, child(at, childOffered, name, 0));
  }
  for (const name of required) {
    if (!(name in out)) out[name] = generate(true, child(at, at.hints.lookup(name), name, 0));
  }
  fillMinProperties(schema, out, at);
  return out;
}

/** Records (`additionalProperties: {schema}`) and `minProperties` get `key1`, `key2`… entries. */
function fillMinProperties(schema: JsonSchemaObject, out: Record<string, unknown>, at: Position): void {
  const minProperties = numberKeyword(schema, "minProperties") ?? 0;
  const additional = schemaKeyword(schema, "additionalProperties") ?? true;
  if (additional === false) return;
  for (let index = 1; Object.keys(out).length < minProperties; index++) {
    const key = `key${index}`;
    if (!(key in out)) out[key] = generate(additional, child(at, undefined, key, index));
  }
}

function generateArray(schema: JsonSchemaObject, at: Position): unknown[] {
  const { positional, rest } = itemSchemas(schema);
  const minItems = numberKeyword(schema, "minItems") ?? 0;
  const maxItems = numberKeyword(schema, "maxItems") ?? Number.POSITIVE_INFINITY;
  const preferred = at.depth >= SHALLOW_DEPTH ? 0 : 1;
  const count = Math.min(Math.max(minItems, positional.length, preferred), maxItems);
  const unique = schema.uniqueItems === true;
  const offered = Array.isArray(at.offered) ? at.offered : [];
  const items: unknown[] = [];
  for (let index = 0; index < count; index++) {
    const itemSchema = positional[index] ?? rest ?? true;
    items.push(generate(itemSchema, child(at, offered[index], at.name, unique ? index : 0)));
  }
  return items;
}

function generateString(schema: JsonSchemaObject, at: Position): string {
  const format = stringKeyword(schema, "format");
  const pattern = stringKeyword(schema, "pattern");
  const candidates = [
    format === undefined ? undefined : sampleForFormat(format, at),
    withVariant(textFor(at), at.variant),
    pattern === undefined ? undefined : sampleMatching(pattern),
  ];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const fitted = fitLength(schema, candidate);
    if (stringFits(schema, fitted)) return fitted;
  }
  return fitLength(schema, candidates.find((candidate) => candidate !== undefined) ?? "");
}

function stringFits(schema: JsonSchemaObject, value: string): boolean {
  const pattern = stringKeyword(schema, "pattern");
  const format = stringKeyword(schema, "format");
  const regex = pattern === undefined ? undefined : compilePattern(pattern);
  return (!regex || regex.test(value)) && (format === undefined || matchesFormat(format, value));
}

function fitLength(schema: JsonSchemaObject, value: string): string {
  const minLength = numberKeyword(schema, "minLength") ?? 0;
  const maxLength = numberKeyword(schema, "maxLength") ?? Number.POSITIVE_INFINITY;
  const chars = [...value];
  if (chars.length > maxLength) return chars.slice(0, maxLength).join("");
  return chars.length < minLength ? value + "x".repeat(minLength - chars.length) : value;
}

function sampleForFormat(format: string, at: Position): string | undefined {
  const slug = slugOf(textFor(at)) || "item";
  const samples: Record<string, () => string> = {
    email: () => `${slug.slice(0, 20)}@example.com`,
    uuid: () => deterministicUuid(`${at.hints.text}\u0000${at.name ?? ""}\u0000${at.variant}`),
    uri: () => `https://example.com/${slug}`,
    url: () => `https://example.com/${slug}`,
    "date-time": () => "2024-01-01T00:00:00Z",
    date: () => "2024-01-01",
    time: () => "00:00:00",
    ipv4: () => "127.0.0.1",
    ipv6: () => "::1",
    hostname: () => "example.com",
    duration: () => "PT1M",
  };
  return samples[format]?.();
}

function generateNumber(schema: JsonSchemaObject, at: Position, integer: boolean): number {
  const step = numberKeyword(schema, "multipleOf");
  const { low, high } = numberBounds(schema, integer, step);
  let value = Math.min(Math.max(1 + at.variant, low), high);
  if (step !== undefined && step > 0 && !isMultipleOf(value, step)) value = Math.ceil(value / step) * step;
  if (integer) value = Math.ceil(value);
  return Object.is(value, -0) ? 0 : value;
}

/** Inclusive bounds; exclusive ones are nudged inward by one step (or by a fraction of the range). */
function numberBounds(
  schema: JsonSchemaObject,
  integer: boolean,
  step: number | undefined,
): { low: number; high: number } {
  const exclusiveMinimum = numberKeyword(schema, "exclusiveMinimum");
  const exclusiveMaximum = numberKeyword(schema, "exclusiveMaximum");
  const range = (exclusiveMaximum ?? exclusiveMinimum ?? 0) - (exclusiveMinimum ?? exclusiveMaximum ?? 0);
  const nudge = integer ? 1 : (step ?? (range > 0 ? Math.min(1, range / 2) : 1));
  const low = Math.max(
    numberKeyword(schema, "minimum") ?? Number.NEGATIVE_INFINITY,
    exclusiveMinimum === undefined ? Number.NEGATIVE_INFINITY : exclusiveMinimum + nudge,
  );
  const high = Math.min(
    numberKeyword(schema, "maximum") ?? Number.POSITIVE_INFINITY,
    exclusiveMaximum === undefined ? Number.POSITIVE_INFINITY : exclusiveMaximum - nudge,
  );
  return { low, high: Math.max(low, high) };
}

/** Prompt text is always a string; a schema wanting a number or boolean gets the parsed form. */
function coerceOffered(schema: JsonSchemaObject, offered: unknown): unknown {
  if (typeof offered !== "string") return offered;
  const types = typesOf(schema);
  if (types.includes("string")) return offered;
  const trimmed = offered.trim();
  if (
    (types.includes("number") || types.includes("integer")) &&
    trimmed !== "" &&
    !Number.isNaN(Number(trimmed))
  ) {
    return Number(trimmed);
  }
  if (types.includes("boolean") && (trimmed === "true" || trimmed === "false")) return trimmed === "true";
  return offered;
}

function textFor(at: Position): string {
  if (typeof at.offered === "string") return at.offered;
  if (typeof at.offered === "number" || typeof at.offered === "boolean") return String(at.offered);
  const text = at.hints.text.replace(/\s+/g, " ").trim();
  return text.length > MAX_STRING_FROM_TEXT ? `${text.slice(0, MAX_STRING_FROM_TEXT - 1)}…` : text;
}

function withVariant(text: string, variant: number): string {
  return variant === 0 ? text : `${text} ${variant + 1}`;
}

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** A v4-shaped UUID derived from a hash, so the same input always gives the same id. */
function deterministicUuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function child(at: Position, offered: unknown, name: string | undefined, variant: number): Position {
  return { ...at, offered, name, variant, depth: at.depth + 1 };
}
