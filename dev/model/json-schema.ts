/**
 * Typed reads of JSON Schema keywords. Schemas come off the wire, so every keyword is checked
 * for its type before use and a malformed keyword reads as absent.
 */

export type JsonSchemaObject = Record<string, unknown>;
/** `true` accepts anything, `false` nothing (draft 6+). */
export type JsonSchema = boolean | JsonSchemaObject;

export type JsonType = "string" | "number" | "integer" | "boolean" | "null" | "array" | "object";

const JSON_TYPES: readonly JsonType[] = ["string", "number", "integer", "boolean", "null", "array", "object"];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isJsonSchema(value: unknown): value is JsonSchema {
  return typeof value === "boolean" || isPlainObject(value);
}

export function numberKeyword(schema: JsonSchemaObject, key: string): number | undefined {
  const value = schema[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function stringKeyword(schema: JsonSchemaObject, key: string): string | undefined {
  const value = schema[key];
  return typeof value === "string" ? value : undefined;
}

export function schemaKeyword(schema: JsonSchemaObject, key: string): JsonSchema | undefined {
  const value = schema[key];
  return isJsonSchema(value) ? value : undefined;
}

export function schemaListKeyword(schema: JsonSchemaObject, key: string): JsonSchema[] | undefined {
  const value = schema[key];
  return Array.isArray(value) ? value.filter(isJsonSchema) : undefined;
}

export function propertiesOf(schema: JsonSchemaObject): Array<[string, JsonSchema]> {
  const properties = schema.properties;
  if (!isPlainObject(properties)) return [];
  return Object.entries(properties).filter((entry): entry is [string, JsonSchema] => isJsonSchema(entry[1]));
}

export function requiredOf(schema: JsonSchemaObject): string[] {
  const required = schema.required;
  return Array.isArray(required) ? required.filter((name): name is string => typeof name === "string") : [];
}

export function enumOf(schema: JsonSchemaObject): unknown[] | undefined {
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

/** The declared types, or those implied by other keywords when `type` is absent. */
export function typesOf(schema: JsonSchemaObject): JsonType[] {
  const declared = schema.type;
  if (typeof declared === "string")
    return JSON_TYPES.includes(declared as JsonType) ? [declared as JsonType] : [];
  if (Array.isArray(declared))
    return declared.filter((t): t is JsonType => JSON_TYPES.includes(t as JsonType));
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return ["object"];
  if (schema.items !== undefined || schema.prefixItems !== undefined) return ["array"];
  return [];
}

/**
 * Resolves a local `$ref` (`#`, `#/definitions/…`, `#/$defs/…`, any JSON pointer into the root).
 * Remote references are not followed: they resolve to `true` (anything goes).
 */
export function resolveRef(schema: JsonSchemaObject, root: JsonSchema): JsonSchema {
  const ref = stringKeyword(schema, "$ref");
  if (ref === undefined) return schema;
  if (!ref.startsWith("#")) return true;
  let target: unknown = root;
  for (const segment of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~");
    target = isPlainObject(target) ? target[key] : undefined;
  }
  return isJsonSchema(target) ? target : true;
}

/** Follows `$ref` chains (boolean schemas pass through); gives up after a few hops on a cycle. */
export function deref(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hop = 0; hop < 16 && typeof current === "object" && current.$ref !== undefined; hop++) {
    current = resolveRef(current, root);
  }
  return current;
}

/** Folds `allOf` branches into one schema: properties and `required` are merged, other keywords overwritten. */
export function mergeAllOf(schema: JsonSchemaObject, root: JsonSchema): JsonSchemaObject {
  const branches = schemaListKeyword(schema, "allOf");
  if (!branches) return schema;
  const { allOf: _, ...rest } = schema;
  let merged: JsonSchemaObject = rest;
  for (const branch of branches) {
    const resolved = deref(branch, root);
    if (typeof resolved !== "object") continue;
    const flat = mergeAllOf(resolved, root);
    merged = {
      ...merged,
      ...flat,
      properties: { ...asRecord(merged.properties), ...asRecord(flat.properties) },
      required: [...new Set([...requiredOf(merged), ...requiredOf(flat)])],
    };
  }
  return merged;
}

function asRecord(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}
