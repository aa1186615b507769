import type { Overtime } from "../overtime";
import { authenticate, isSigned, rememberSignature } from "../trigger/auth";
import { readTextBody } from "./body";

export interface Authorized {
  /** The caller id whose trigger secret authenticated the request. */
  caller: string;
  /** The body as text (already size-checked); parse it with `parseJsonBody`. */
  body: string;
}

/**
 * Every write route's front door: reads the body (size-capped), authenticates the caller by bearer
 * secret or HMAC signature, and refuses a signed request that was already used (replay).
 */
export async function authorized(overtime: Overtime, request: Request): Promise<Authorized> {
  const body = await readTextBody(request, { maxBytes: overtime.config.maxBodyBytes });
  const trigger = overtime.config.trigger;
  const caller = authenticate(request.headers, body, {
    secrets: trigger?.secrets ?? {},
    toleranceSeconds: trigger?.toleranceSeconds,
  });
  if (isSigned(request.headers)) {
    await rememberSignature(
      overtime.store.redis,
      overtime.store.keys.signaturePrefix(),
      request.headers,
      trigger?.toleranceSeconds,
    );
  }
  return { caller, body };
}
