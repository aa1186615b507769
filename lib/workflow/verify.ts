import type { Receiver } from "@upstash/qstash";
import { readTextBody } from "../http/body";

export interface DeliveryCheck {
  receiver: Receiver | undefined;
  /** Public base URL QStash calls (what every message's `sub` claim starts with). */
  baseUrl: string;
  /** Largest delivery read (a step carries the run's history; default 50 MiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_DELIVERY_BYTES = 50 * 1_048_576;

/**
 * Verifies every request to the workflow endpoint before the SDK sees it: a QStash signature over this
 * exact body, by our signing keys, for this endpoint's URL. The SDK checks the signature too, but not
 * the `sub` claim (a message QStash signed for another of our URLs would be accepted), and it answers a
 * bad signature with a 500 that echoes both hashes. Rejected deliveries get 401 (no or invalid
 * signature) or 403 (signed for another URL), a short JSON error, and nothing is recorded.
 */
export function verifyDeliveries(
  serve: (request: Request) => Promise<Response>,
  check: DeliveryCheck,
): (request: Request) => Promise<Response> {
  const { receiver } = check;
  if (!receiver) return serve;
  // The path comes from the request (a Next.js basePath is in it already), the origin from the base URL.
  const origin = new URL(check.baseUrl).origin;
  return async (request) => {
    const signature = request.headers.get("upstash-signature");
    if (!signature)
      return rejected(401, "missing_signature", "Missing Upstash-Signature: only QStash may call this.");
    const body = await readTextBody(request, {
      maxBytes: check.maxBytes ?? DEFAULT_MAX_DELIVERY_BYTES,
    }).catch(() => undefined);
    if (body === undefined)
      return rejected(413, "payload_too_large", "The delivery is larger than this endpoint reads.");
    const { pathname, search } = new URL(request.url);
    const url = `${origin}${pathname}${search}`;
    try {
      await receiver.verify({ signature, body, clockTolerance: 5 });
    } catch {
      return rejected(401, "invalid_signature", "The QStash signature is not valid for this body.");
    }
    try {
      await receiver.verify({ signature, body, url, clockTolerance: 5 });
    } catch {
      return rejected(403, "wrong_destination", "The QStash signature was made for another URL.");
    }
    return serve(
      new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
      }),
    );
  };
}

function rejected(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
