import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Upstash accepts the token as `Authorization: Bearer <token>` or as a `_token` query parameter
 * (REST API docs); the SDK uses the header.
 */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1] ?? url.searchParams.get("_token") ?? undefined;
}

export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
