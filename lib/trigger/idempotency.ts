import { createHash } from "node:crypto";
import type { Redis } from "@upstash/redis";
import { IdempotencyConflictError } from "../errors";

export const IDEMPOTENCY_TTL_SECONDS = 86_400;

/**
 * What an Idempotency-Key maps to. `published` is false from the moment the key is claimed until
 * QStash has accepted the run: a key still unpublished after a crash is finished by the next request
 * with the same key (it publishes the same run id again) instead of pointing at a run that never starts.
 */
export interface IdempotencyClaim {
  runId: string;
  /** Hash of the input the first request sent; another input with the same key is a conflict. */
  inputHash: string;
  published: boolean;
  /** When the key was claimed (ms); an unpublished claim younger than the recovery delay is in flight. */
  claimedAt: number;
}

export type ClaimResult = { first: true } | { first: false; earlier: IdempotencyClaim };

/** Claims `key` for `runId` (SET NX); or returns the earlier claim, refusing another input for it. */
export async function claimKey(
  redis: Redis,
  key: string,
  claim: Omit<IdempotencyClaim, "published">,
): Promise<ClaimResult> {
  const value = JSON.stringify({ ...claim, published: false });
  const earlierRaw = await redis.set<unknown>(key, value, {
    nx: true,
    get: true,
    ex: IDEMPOTENCY_TTL_SECONDS,
  });
  if (earlierRaw === null || earlierRaw === undefined) return { first: true };
  const earlier = parseClaim(earlierRaw);
  if (earlier.inputHash !== "" && earlier.inputHash !== claim.inputHash) {
    throw new IdempotencyConflictError(
      earlier.runId,
      `This Idempotency-Key was used within the last 24 h with a different input (run "${earlier.runId}"); ` +
        "use a new key for a new input.",
    );
  }
  return { first: false, earlier };
}

/** Marks the key's run as accepted by QStash (keeps the key's expiry). */
export async function markPublished(
  redis: Redis,
  key: string,
  claim: Omit<IdempotencyClaim, "published">,
): Promise<void> {
  await redis.set(key, JSON.stringify({ ...claim, published: true }), { xx: true, keepTtl: true });
}

/** Deletes the key, or with `runId`, only while it still names that run and is unpublished. */
export async function releaseKey(redis: Redis, key: string, runId?: string): Promise<void> {
  if (runId === undefined) {
    await redis.del(key);
    return;
  }
  await redis.eval(RELEASE_UNPUBLISHED, [key], [runId]);
}

const RELEASE_UNPUBLISHED = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, claim = pcall(cjson.decode, raw)
if ok and type(claim) == 'table' and claim.runId == ARGV[1] and claim.published == false then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** A stable hash of an input: the same JSON value gives the same hash whatever its key order. */
export function inputHash(input: unknown): string {
  return createHash("sha256").update(canonicalJson(input)).digest("base64url");
}

function canonicalJson(raw: unknown): string {
  // JSON's own rules first: Dates and other values with toJSON hash as they would be sent.
  const value =
    raw && typeof raw === "object" && typeof (raw as { toJSON?: unknown }).toJSON === "function"
      ? (raw as { toJSON(): unknown }).toJSON()
      : raw;
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Keys written before claims were JSON held the bare run id; such a run was published. */
function parseClaim(raw: unknown): IdempotencyClaim {
  const value = typeof raw === "string" && raw.startsWith("{") ? JSON.parse(raw) : raw;
  if (value && typeof value === "object" && "runId" in value) return value as IdempotencyClaim;
  return { runId: String(value), inputHash: "", published: true, claimedAt: 0 };
}
