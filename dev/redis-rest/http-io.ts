import type { IncomingMessage, ServerResponse } from "node:http";
import { ClientAbortedError, PayloadTooLargeError } from "./errors";

/**
 * How far past the limit a body is still read (and thrown away) so the client gets a clean 413 on
 * a reusable connection. Beyond that the 413 is sent at once and the connection is closed, rather
 * than reading an arbitrarily large upload.
 */
const DRAIN_ALLOWANCE_BYTES = 64 * 1024 * 1024;

/** Reads the whole request body, refusing bodies over `limitBytes` with a PayloadTooLargeError. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const drainLimit = limitBytes + DRAIN_ALLOWANCE_BYTES;
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > drainLimit) {
    return Promise.reject(new PayloadTooLargeError(limitBytes, true));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limitBytes) chunks.push(chunk);
      else if (received > drainLimit) reject(new PayloadTooLargeError(limitBytes, true));
    });
    req.on("end", () => {
      if (received > limitBytes) reject(new PayloadTooLargeError(limitBytes, false));
      else resolve(Buffer.concat(chunks, received));
    });
    req.on("error", () => reject(new ClientAbortedError()));
    req.on("close", () => {
      if (!req.complete) reject(new ClientAbortedError());
    });
  });
}

/** Sends a JSON body; returns the number of body bytes written. */
export function sendJson(
  res: ServerResponse,
  status: number,
  json: string,
  headers: Record<string, string> = {},
): number {
  const length = Buffer.byteLength(json);
  res.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": String(length) });
  res.end(json);
  return length;
}
