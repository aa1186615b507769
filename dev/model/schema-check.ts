/**
 * A small JSON Schema validator covering the keywords tool and output schemas use in practice
 * (types, enum/const, string/number/array/object bounds, pattern, common formats, anyOf/oneOf/allOf/not,
 * local $ref). The dev model uses it to decide whether a value taken from the prompt or a tool result
 * fits a schema, and to double-check the values it generates.
 */
import {
  deref,
  enumOf,
  isPlainObject,
  type JsonSchema,
  type JsonSchemaObject,
  type JsonType,
  numberKeyword,
  propertiesOf,
  requiredOf,
  schemaKeyword,
  schemaListKeyword,
  stringKeyword,
  typesOf,
} from "./json-schema";

const MAX_DEPTH = 64;

/** The problems found, each as `path: what is wrong`; empty when the value conforms. */
export function schemaProblems(schema: JsonSchema, value: unknown, root: JsonSchema = schema): string[] {
  const problems: string[] = [];
  check(schema, value, root, "$", problems, 0);
  return problems;
}

export function conformsTo(schema: JsonSchema, value: unknown, root: JsonSchema = schema): boolean {
  return schemaProblems(schema, value, root).length === 0;
}

function check(
  input: JsonSchema,
  value: unknown,
  root: JsonSchema,
  path: string,
  problems: string[],
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  const schema = deref(input, root);
  if (schema === true) return;
  if (schema === false) {
    problems.push(`${path}: no value is allowed here`);
    return;
  }
  checkTypeAndLiterals(schema, value, path, problems);
  checkCombinators(schema, value, root, path, problems, depth);
  if (typeof value === "string") checkString(schema, value, path, problems);
  if (typeof value === "number") checkNumber(schema, value, path, problems);
  if (Array.isArray(value)) checkArray(schema, value, root, path, problems, depth);
  if (isPlainObject(value)) checkObject(schema, value, root, path, problems, depth);
}

function checkTypeAndLiterals(
  schema: JsonSchemaObject,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const declared = schema.type === undefined ? [] : typesOf({ type: schema.type });
  if (declared.length > 0 && !declared.some((type) => hasType(value, type))) {
    problems.push(`${path}: expected ${declared.join(" or ")}, got ${describe(value)}`);
  }
  const allowed = enumOf(schema);
  if (allowed && !allowed.some((candidate) => sameJson(candidate, value))) {
    problems.push(`${path}: must be one of ${JSON.stringify(allowed)}`);
  }
  if ("const" in schema && !sameJson(schema.const, value)) {
    problems.push(`${path}: must equal ${JSON.stringify(schema.const)}`);
  }
}

function checkCombinators(
  schema: JsonSchemaObject,
  value: unknown,
  root: JsonSchema,
  path: string,
  problems: string[],
  depth: number,
): void {
  for (const branch of schemaListKeyword(schema, "allOf") ?? [])
    check(branch, value, root, path, problems, depth + 1);
  const anyOf = schemaListKeyword(schema, "anyOf");
  if (anyOf && !anyOf.some((branch) => passes(branch, value, root, depth))) {
    problems.push(`${path}: matches none of the anyOf branches`);
  }
  const oneOf = schemaListKeyword(schema, "oneOf");
  if (oneOf && oneOf.filter((branch) => passes(branch, value, root, depth)).length !== 1) {
    problems.push(`${path}: must match exactly one oneOf branch`);
  }
  const not = schemaKeyword(schema, "not");
  if (not !== undefined && passes(not, value, root, depth))
    problems.push(`${path}: must not match the 'not' schema`);
}

function passes(schema: JsonSchema, value: unknown, root: JsonSchema, depth: number): boolean {
  const problems: string[] = [];
  check(schema, value, root, "$", problems, depth + 1);
  return problems.length === 0;
}

function checkString(schema: JsonSchemaObject, value: string, path: string, problems: string[]): void {
  const length = [...value].length;
  const minLength = numberKeyword(schema, "minLength");
  const maxLength = numberKeyword(schema, "maxLength");
  if (minLength !== undefined && length < minLength) problems.push(`${path}: shorter than ${minLength}`);
  if (maxLength !== undefined && length > maxLength) problems.push(`${path}: longer than ${maxLength}`);
  const pattern = stringKeyword(schema, "pattern");
  const regex = pattern === undefined ? undefined : compilePattern(pattern);
  if (regex && !regex.test(value)) problems.push(`${path}: does not match /${pattern}/`);
  const format = stringKeyword(schema, "format");
  if (format !== undefined && !matchesFormat(format, value)) problems.push(`${path}: not a valid ${format}`);
}

function checkNumber(schema: JsonSchemaObject, value: number, path: string, problems: string[]): void {
  const minimum = numberKeyword(schema, "minimum");
  const maximum = numberKeyword(schema, "maximum");
  const exclusiveMinimum = numberKeyword(schema, "exclusiveMinimum");
  const exclusiveMaximum = numberKeyword(schema, "exclusiveMaximum");
  const multipleOf = numberKeyword(schema, "multipleOf");
  if (minimum !== undefined && value < minimum) problems.push(`${path}: less than ${minimum}`);
  if (maximum !== undefined && value > maximum) problems.push(`${path}: greater than ${maximum}`);
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum)
    problems.push(`${path}: not > ${exclusiveMinimum}`);
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum)
    problems.push(`${path}: not < ${exclusiveMaximum}`);
  if (multipleOf !== undefined && multipleOf > 0 && !isMultipleOf(value, multipleOf)) {
    problems.push(`${path}: not a multiple of ${multipleOf}`);
  }
}

export function isMultipleOf(value: number, step: number): boolean {
  const quotient = value / step;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function checkArray(
  schema: JsonSchemaObject,
  value: unknown[],
  root: JsonSchema,
  path: string,
  problems: string[],
  depth: number,
): void {
  const minItems = numberKeyword(schema, "minItems");
  const maxItems = numberKeyword(schema, "maxItems");
  if (minItems !== undefined && value.length < minItems)
    problems.push(`${path}: fewer than ${minItems} items`);
  if (maxItems !== undefined && value.length > maxItems)
    problems.push(`${path}: more than ${maxItems} items`);
  if (
    schema.uniqueItems === true &&
    new Set(value.map((item) => canonicalJson(item))).size !== value.length
  ) {
    problems.push(`${path}: items are not unique`);
  }
  const { positional, rest } = itemSchemas(schema);
  value.forEach((item, index) => {
    const itemSchema = positional[index] ?? rest;
    if (itemSchema !== undefined) check(itemSchema, item, root, `${path}[${index}]`, problems, depth + 1);
  });
}

/** Per-position item schemas (draft-07 `items: [...]` or 2020-12 `prefixItems`) and the schema for the rest. */
export function itemSchemas(schema: JsonSchemaObject): {
  positional: JsonSchema[];
  rest: JsonSchema | undefined;
} {
  const prefixItems = schemaListKeyword(schema, "prefixItems");
  if (prefixItems) return { positional: prefixItems, rest: schemaKeyword(schema, "items") };
  const items = schemaListKeyword(schema, "items");
  if (items) return { positional: items, rest: schemaKeyword(schema, "additionalItems") };
  return { positional: [], rest: schemaKeyword(schema, "items") };
}

function checkObject(
  schema: JsonSchemaObject,
  value: Record<string, unknown>,
  root: JsonSchema,
  path: string,
  problems: string[],
  depth: number,
): void {
  for (const name of requiredOf(schema)) {
    if (!(name in value)) problems.push(`${path}: missing required property '${name}'`);
  }
  const properties = new Map(propertiesOf(schema));
  const additional = schemaKeyword(schema, "additionalProperties");
  for (const [name, propertyValue] of Object.entries(value)) {
    const propertySchema = properties.get(name) ?? additional;
    if (propertySchema !== undefined)
      check(propertySchema, propertyValue, root, `${path}.${name}`, problems, depth + 1);
  }
  const count = Object.keys(value).length;
  const minProperties = numberKeyword(schema, "minProperties");
  const maxProperties = numberKeyword(schema, "maxProperties");
  if (minProperties !== undefined && count < minProperties)
    problems.push(`${path}: fewer than ${minProperties} properties`);
  if (maxProperties !== undefined && count > maxProperties)
    problems.push(`${path}: more than ${maxProperties} properties`);
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** JSON Schema patterns are ECMA-262 regexes, unanchored; an uncompilable one is ignored. */
export function compilePattern(pattern: string): RegExp | undefined {
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // try the next flag set
    }
  }
  return undefined;
}

const FORMAT_CHECKS: Record<string, (value: string) => boolean> = {
  email: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value),
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  uri: (value) => /^[a-z][a-z0-9+.-]*:\S*$/i.test(value),
  url: (value) => /^[a-z][a-z0-9+.-]*:\S*$/i.test(value),
  "date-time": (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value),
  date: (value) => /^\d{4}-\d{2}-\d{2}$/.test(value),
  time: (value) => /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(value),
  ipv4: (value) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(value),
  ipv6: (value) => value.includes(":") && /^[0-9a-f:.]+$/i.test(value),
  hostname: (value) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value),
};

/** Unknown formats are annotations only, as the spec says. */
export function matchesFormat(format: string, value: string): boolean {
  return FORMAT_CHECKS[format]?.(value) ?? true;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted, so equal values serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "undefined";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}
