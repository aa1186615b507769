import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * node:http ⇄ Fetch API, for the local apps that serve the same `(Request) => Response` handlers as the
 * Next.js routes (the test stack, the benchmark app).
 */

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The request as a Fetch `Request` (raw header order and repeats kept). */
export function toRequest(req: IncomingMessage, url: URL, body: Buffer, signal?: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? "GET";
  const withBody = method !== "GET" && method !== "HEAD";
  return new Request(url, { method, headers, body: withBody ? new Uint8Array(body) : undefined, signal });
}

/**
 * Streams the body (SSE responses stay open); `done` runs once the body was written, or at once for an
 * event stream, which must not keep the app "busy".
 */
export async function writeResponse(response: Response, res: ServerResponse, done = () => {}): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    if (key !== "content-length" && key !== "transfer-encoding") res.setHeader(key, value);
  });
  const streaming = response.headers.get("content-type")?.startsWith("text/event-stream");
  if (streaming) done();
  try {
    if (response.body) {
      res.flushHeaders();
      const reader = response.body.getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) res.write(next.value);
    }
    res.end();
  } finally {
    if (!streaming) done();
  }
}
