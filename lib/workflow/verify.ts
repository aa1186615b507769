import type { Receiver } from "@upstash/qstash";

export interface DeliveryCheck {
  receiver: Receiver | undefined;
  /** Public base URL QStash calls (what every message's `sub` claim starts with). */
  baseUrl: string;
}

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
  const base = check.baseUrl.replace(/\/+$/, "");
  return async (request) => {
    const signature = request.headers.get("upstash-signature");
    if (!signature)
      return rejected(401, "missing_signature", "Missing Upstash-Signature: only QStash may call this.");
    const body = await request.text();
    const url = `${base}${new URL(request.url).pathname}`;
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
