/**
 * Structural checks on a JSON Schema sent as tool parameters or as a response format: each keyword
 * the dev model reads must have the right shape. Reports the first problem with its path, so the
 * 400 can name the field (`tools[0].parameters.properties.city.type`).
 */
import { isPlainObject } from "./json-schema";
import { compilePattern } from "./schema-check";

export interface SchemaProblem {
  path: string;
  problem: string;
}

/** Deeper schemas are refused rather than walked (they are mistakes, or attempts to exhaust the stack). */
const MAX_NESTING = 64;
const TYPE_NAMES = new Set(["string", "number", "integer", "boolean", "null", "array", "object"]);
const NUMBER_KEYWORDS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
];
const SCHEMA_MAP_KEYWORDS = ["properties", "definitions", "$defs", "patternProperties"];
const SCHEMA_KEYWORDS = ["additionalProperties", "additionalItems", "not", "contains", "propertyNames"];
const SCHEMA_LIST_KEYWORDS = ["anyOf", "oneOf", "allOf", "prefixItems"];

/** Checks a root that must describe an object, as tool parameters must. */
export function objectSchemaProblem(schema: unknown, path: string): SchemaProblem | undefined {
  if (!isPlainObject(schema)) return { path, problem: "must be a JSON Schema object" };
  if (schema.type !== undefined && schema.type !== "object") {
    return { path: `${path}.type`, problem: 'must be "object"' };
  }
  return schemaProblem(schema, path);
}

export function schemaProblem(schema: unknown, path: string, depth = 0): SchemaProblem | undefined {
  if (typeof schema === "boolean") return undefined;
  if (!isPlainObject(schema)) return { path, problem: "must be a JSON Schema (an object or a boolean)" };
  if (depth > MAX_NESTING) return { path, problem: `nests deeper than ${MAX_NESTING} levels` };
  return (
    typeProblem(schema, path) ??
    keywordShapeProblem(schema, path) ??
    firstProblem(nestedSchemas(schema, path), ([child, childPath]) =>
      schemaProblem(child, childPath, depth + 1),
    )
  );
}

function typeProblem(schema: Record<string, unknown>, path: string): SchemaProblem | undefined {
  const type = schema.type;
  if (type === undefined) return undefined;
  const names = Array.isArray(type) ? type : [type];
  const bad = names.find((name) => typeof name !== "string" || !TYPE_NAMES.has(name));
  if (bad === undefined && names.length > 0) return undefined;
  return { path: `${path}.type`, problem: `${JSON.stringify(bad ?? type)} is not a JSON Schema type` };
}

function keywordShapeProblem(schema: Record<string, unknown>, path: string): SchemaProblem | undefined {
  for (const keyword of NUMBER_KEYWORDS) {
    const value = schema[keyword];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      return { path: `${path}.${keyword}`, problem: "must be a number" };
    }
  }
  const required = schema.required;
  if (
    required !== undefined &&
    !(Array.isArray(required) && required.every((name) => typeof name === "string"))
  ) {
    return { path: `${path}.required`, problem: "must be an array of property names" };
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) {
    return { path: `${path}.enum`, problem: "must be an array" };
  }
  const pattern = schema.pattern;
  if (pattern !== undefined && (typeof pattern !== "string" || !compilePattern(pattern))) {
    return { path: `${path}.pattern`, problem: "must be a valid regular expression" };
  }
  return undefined;
}

function nestedSchemas(schema: Record<string, unknown>, path: string): Array<[unknown, string]> {
  const nested: Array<[unknown, string]> = [];
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (map === undefined) continue;
    if (!isPlainObject(map)) nested.push([null, `${path}.${keyword}`]);
    else for (const [name, child] of Object.entries(map)) nested.push([child, `${path}.${keyword}.${name}`]);
  }
  for (const keyword of SCHEMA_KEYWORDS) {
    if (schema[keyword] !== undefined) nested.push([schema[keyword], `${path}.${keyword}`]);
  }
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    const list = schema[keyword];
    if (list === undefined) continue;
    if (!Array.isArray(list)) nested.push([null, `${path}.${keyword}`]);
    else
      nested.push(...list.map((child, index): [unknown, string] => [child, `${path}.${keyword}[${index}]`]));
  }
  const items = schema.items;
  if (Array.isArray(items))
    nested.push(...items.map((child, index): [unknown, string] => [child, `${path}.items[${index}]`]));
  else if (items !== undefined) nested.push([items, `${path}.items`]);
  return nested;
}

function firstProblem<T>(
  items: T[],
  check: (item: T) => SchemaProblem | undefined,
): SchemaProblem | undefined {
  for (const item of items) {
    const problem = check(item);
    if (problem) return problem;
  }
  return undefined;
}
