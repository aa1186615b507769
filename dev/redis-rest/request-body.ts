import { BadRequestError } from "./errors";
import type { CommandArgs } from "./types";

const EXAMPLE_COMMAND = '["set","key","value"]';

export function parseJson(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (text.trim() === "") {
    throw new BadRequestError(`ERR empty request body: expected a JSON array such as ${EXAMPLE_COMMAND}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`ERR invalid JSON in request body: ${(error as Error).message}`);
  }
}

/** The body of `POST /`: one command as a JSON array. */
export function parseSingleCommand(body: unknown): CommandArgs {
  return parseCommand(body, "the request body");
}

/** The body of `/pipeline` and `/multi-exec`: a non-empty JSON array of commands. */
export function parseCommandList(body: unknown): CommandArgs[] {
  if (!Array.isArray(body)) {
    throw new BadRequestError(
      `ERR the request body must be a JSON array of commands such as [${EXAMPLE_COMMAND},["get","key"]], got ${describe(body)}`,
    );
  }
  if (body.length === 0) throw new BadRequestError("ERR the request body must contain at least one command");
  return body.map((command, index) => parseCommand(command, `command ${index + 1}`));
}

function parseCommand(value: unknown, where: string): CommandArgs {
  if (!Array.isArray(value)) {
    throw new BadRequestError(
      `ERR ${where} must be a JSON array such as ${EXAMPLE_COMMAND}, got ${describe(value)}`,
    );
  }
  const [name, ...args] = value as unknown[];
  if (name === undefined)
    throw new BadRequestError(`ERR ${where} is an empty array: the command name is missing`);
  if (typeof name !== "string" || name === "") {
    throw new BadRequestError(
      `ERR ${where}: the command name must be a non-empty string, got ${describe(name)}`,
    );
  }
  return [
    name,
    ...args.map((arg, index) => argumentText(arg, `argument ${index + 1} of ${where} (${name})`)),
  ];
}

/**
 * The Upstash SDK sends strings, numbers and booleans as JSON scalars (everything else is
 * JSON-stringified first), so those are the only accepted kinds. `null` is what JSON.stringify
 * makes of undefined, NaN and Infinity: refused, since Upstash's handling of it is undocumented
 * and guessing a value would hide the caller's bug.
 */
function argumentText(arg: unknown, where: string): string {
  if (typeof arg === "string") return arg;
  if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
  if (arg === null) {
    throw new BadRequestError(
      `ERR ${where} is null; JSON null is not a valid argument (undefined, NaN and Infinity serialize to null)`,
    );
  }
  throw new BadRequestError(`ERR ${where} must be a string, number or boolean, got ${describe(arg)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}
