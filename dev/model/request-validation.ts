/** Request-body validation that fails the way OpenAI does: a 400 naming the offending field. */
import type { z } from "zod";
import { InvalidRequestError } from "./errors";
import { isPlainObject } from "./json-schema";
import { type SchemaProblem, schemaProblem } from "./schema-lint";

export function parseRequestBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (!isPlainObject(body)) throw new InvalidRequestError("The request body must be a JSON object.", null);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InvalidRequestError("Invalid request body.", null);
  const param = formatParam(issue.path);
  if (valueAt(body, issue.path) === undefined) throw InvalidRequestError.missing(param);
  throw InvalidRequestError.invalid(param, issue.message);
}

/** `["messages", 0, "content"]` → `messages[0].content`, as OpenAI writes params. */
export function formatParam(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : `${index > 0 ? "." : ""}${String(segment)}`,
    )
    .join("");
}

function valueAt(body: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = body;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === "number") current = current[segment];
    else if (isPlainObject(current) && typeof segment === "string") current = current[segment];
    else return undefined;
  }
  return current;
}

/** A tool's `parameters` or a response format's `schema` must be a usable JSON Schema. */
export function assertValidSchema(problem: SchemaProblem | undefined): void {
  if (problem) throw InvalidRequestError.invalid(problem.path, `${problem.problem}.`);
}

export function assertSchema(schema: unknown, path: string): void {
  assertValidSchema(schemaProblem(schema, path));
}
