/** Credentials of the official QStash dev server's default user (hard-coded in @upstash/qstash 2.12). */
export const DEV_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
export const DEV_CURRENT_SIGNING_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";
export const DEV_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs";

/** Upstash free tier message size limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_RETRIES = 3;
/** Retry cap above which QStash answers 412 (plan quota); the workflow SDK turns 412 into a non-retryable error. */
export const MAX_RETRIES_CAP = 100;
/** Free plan max HTTP response duration is 15 minutes. */
export const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;
/** Above this size a step delivery goes out with an empty body and the SDK lazy-fetches the run. */
export const LAZY_FETCH_THRESHOLD_BYTES = 3 * 1024 * 1024;
/** Request bodies (before the message size check) may be this large. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;
export const DEDUP_WINDOW_MS = 10 * 60 * 1000;
export const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;

/** The plan limits the stand-in enforces (all settable, so a user can reproduce their own plan locally). */
export interface PlanLimits {
  /** Publishes larger than this answer 413. */
  maxMessageBytes: number;
  /** `Upstash-Retries` above this answers 412. */
  maxRetries: number;
  /** `Upstash-Delay` / `Upstash-Not-Before` further ahead than this answer 400. */
  maxDelayMs: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxRetries: MAX_RETRIES_CAP,
  maxDelayMs: MAX_DELAY_MS,
};
export const USER_AGENT = "Upstash-QStash";
