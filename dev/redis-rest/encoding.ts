import type { RedisReply, ResponseEncoding } from "./types";

/**
 * A Redis integer kept as its decimal digits so the JSON response carries it exactly; values
 * beyond 2^53 would be rounded if they went through a JS number.
 */
export class RedisInteger {
  constructor(readonly digits: string) {}
}

export type EncodedValue = null | string | RedisInteger | EncodedValue[];

export type ResponseEntry = { result: EncodedValue } | { error: string };

export type JsonValue =
  | null
  | string
  | number
  | boolean
  | RedisInteger
  | JsonValue[]
  | { [key: string]: JsonValue };

const OK = Buffer.from("OK");

/**
 * Turns one command's reply into the `{result}` or `{error}` object Upstash sends, alone or as a
 * pipeline/transaction entry. An error nested anywhere in an array (possible from Lua) fails the
 * whole command with that error's text: Upstash does not document an encoding for it.
 */
export function toResponseEntry(reply: RedisReply, encoding: ResponseEncoding): ResponseEntry {
  const error = firstError(reply);
  if (error) return { error: error.message };
  return { result: encodeTopLevel(reply as EncodedReply, encoding) };
}

/** A reply already checked to contain no errors. */
type EncodedReply = Buffer | string | null | EncodedReply[];

/**
 * Upstash's documented exception: with base64 on, a top-level `OK` stays literal. Only at the top:
 * the client base64-decodes every string inside an array, and `atob("OK")` is not "OK".
 */
function encodeTopLevel(reply: EncodedReply, encoding: ResponseEncoding): EncodedValue {
  if (Buffer.isBuffer(reply) && reply.equals(OK)) return "OK";
  return encodeNested(reply, encoding);
}

function encodeNested(reply: EncodedReply, encoding: ResponseEncoding): EncodedValue {
  if (reply === null) return null;
  if (typeof reply === "string") return new RedisInteger(reply);
  if (Buffer.isBuffer(reply)) return reply.toString(encoding === "base64" ? "base64" : "utf8");
  return reply.map((element) => encodeNested(element, encoding));
}

function firstError(reply: RedisReply): Error | undefined {
  if (reply instanceof Error) return reply;
  if (!Array.isArray(reply)) return undefined;
  for (const element of reply) {
    const error = firstError(element);
    if (error) return error;
  }
  return undefined;
}

/** JSON.stringify, except that RedisInteger values are written as bare (exact) numbers. */
export function stringifyJson(value: JsonValue): string {
  if (value instanceof RedisInteger) return value.digits;
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(
      ([key, member]) => `${JSON.stringify(key)}:${stringifyJson(member)}`,
    );
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}
