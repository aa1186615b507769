import type { IncomingMessage } from "node:http";
import { BadRequestError, NotFoundError } from "./errors";
import type { ResponseEncoding } from "./types";

export type Route =
  | { kind: "single" | "pipeline" | "multi-exec" }
  | { kind: "subscribe" | "psubscribe"; target: string };

export function matchRoute(path: string): Route {
  if (path === "/") return { kind: "single" };
  if (path === "/pipeline") return { kind: "pipeline" };
  if (path === "/multi-exec") return { kind: "multi-exec" };
  const streaming = /^\/(subscribe|psubscribe)\/(.+)$/.exec(path);
  if (!streaming) throw new NotFoundError(path);
  const kind = streaming[1] === "subscribe" ? "subscribe" : "psubscribe";
  return { kind, target: decodeSegment(streaming[2] ?? "", kind) };
}

/** The SDK does not URL-encode channel names; fetch percent-encodes some characters. */
function decodeSegment(segment: string, kind: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`ERR the ${kind} target in the path is not valid percent-encoding: ${segment}`);
  }
}

/** The SDK sends `Upstash-Encoding: base64` unless created with `responseEncoding: false`. */
export function responseEncoding(req: IncomingMessage): ResponseEncoding {
  const format = req.headers["upstash-response-format"];
  if (format !== undefined && String(format).toLowerCase() !== "json") {
    throw new BadRequestError(
      `ERR Upstash-Response-Format: ${format} is not supported by this stand-in (only json)`,
    );
  }
  return String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64" ? "base64" : "utf8";
}
