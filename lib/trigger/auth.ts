import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Redis } from "@upstash/redis";
import { UnauthorizedError } from "../errors";

/** Who may trigger: caller id → shared secret. The caller id keys the rate limit and idempotency keys. */
export type CallerSecrets = Record<string, string>;

export const SIGNATURE_HEADER = "x-overtime-signature";
export const TIMESTAMP_HEADER = "x-overtime-timestamp";

export interface AuthOptions {
  secrets: CallerSecrets;
  /** How far a signed request's timestamp may be from now (default 300 s). */
  toleranceSeconds?: number;
  now?: () => number;
}

/**
 * Authenticates a trigger request and returns the caller id. Accepts `Authorization: Bearer <secret>`
 * or `X-Overtime-Timestamp: <unix seconds>` + `X-Overtime-Signature: sha256=<hex HMAC-SHA256 of
 * "<timestamp>.<raw body>">` (the timestamp bounds replays).
 */
export function authenticate(headers: Headers, rawBody: string, options: AuthOptions): string {
  const callers = Object.entries(options.secrets).filter(([, secret]) => secret.length > 0);
  if (callers.length === 0) {
    throw new UnauthorizedError("Trigger auth is not configured; set OVERTIME_TRIGGER_SECRET.");
  }
  const authorization = headers.get("authorization");
  if (authorization) return bearerCaller(authorization, callers);
  const signature = headers.get(SIGNATURE_HEADER);
  if (signature) return signedCaller(signature, headers.get(TIMESTAMP_HEADER), rawBody, callers, options);
  throw new UnauthorizedError(
    `Missing credentials: send "Authorization: Bearer <secret>" or the ${SIGNATURE_HEADER} and ${TIMESTAMP_HEADER} headers.`,
  );
}

/** True when the request authenticates with a signature (which must then be used once only). */
export function isSigned(headers: Headers): boolean {
  return !headers.get("authorization") && headers.get(SIGNATURE_HEADER) !== null;
}

/**
 * Refuses a signed request seen before: the signature is remembered (hashed) in Redis for longer than the
 * timestamp tolerance, so within the window a replay is caught and after it the timestamp is stale.
 */
export async function rememberSignature(
  redis: Redis,
  keyPrefix: string,
  headers: Headers,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<void> {
  const signature = headers.get(SIGNATURE_HEADER) ?? "";
  const key = `${keyPrefix}:${createHash("sha256").update(signature).digest("base64url")}`;
  const fresh = await redis.set(key, "1", { nx: true, ex: toleranceSeconds * 2 + 60 });
  if (fresh === null) {
    throw new UnauthorizedError(
      "This signed request was already used; sign every request anew (replay refused).",
    );
  }
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature a caller sends (exported for clients and tests). */
export function signBody(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`;
}

function bearerCaller(authorization: string, callers: Array<[string, string]>): string {
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <secret>".');
  const token = match[1] as string;
  const caller = callers.find(([, secret]) => sameSecret(token, secret));
  if (!caller) throw new UnauthorizedError("Invalid bearer token.");
  return caller[0];
}

function signedCaller(
  signature: string,
  timestampHeader: string | null,
  rawBody: string,
  callers: Array<[string, string]>,
  options: AuthOptions,
): string {
  const timestamp = Number(timestampHeader);
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader)) {
    throw new UnauthorizedError(`A signed request needs ${TIMESTAMP_HEADER} in unix seconds.`);
  }
  const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new UnauthorizedError(`Stale timestamp: more than ${tolerance} s from the server's clock.`);
  }
  const caller = callers.find(([, secret]) => sameSecret(signature, signBody(secret, timestamp, rawBody)));
  if (!caller) throw new UnauthorizedError("Invalid signature.");
  return caller[0];
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
