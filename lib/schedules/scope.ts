import { createHash } from "node:crypto";
import { OvertimeError } from "../errors";
import { deploymentBaseUrl } from "../vercel";

/**
 * Which deployment a sync speaks for. Every schedule id Overtime creates carries the scope, so a sync
 * only ever creates, updates or deletes schedules of its own environment AND base URL: a laptop
 * (`development` @ http://127.0.0.1:3000) can never delete or retarget production's schedules.
 */
export interface ScheduleScope {
  /** `production`, `preview`, `development`, or any OVERTIME_ENV name (lower-case letters and digits). */
  environment: string;
  /** Public base URL QStash calls back. */
  baseUrl: string;
}

export const ID_PREFIX = "overtime";
const ENVIRONMENT = /^[a-z0-9]{1,32}$/;
const OWNED_ID = new RegExp(`^${ID_PREFIX}-([a-z0-9]{1,32})-([0-9a-f]{8})-(.+)$`);

export class ScheduleScopeError extends OvertimeError {
  static override readonly code = "schedule_scope_invalid";
  constructor(message: string) {
    super(ScheduleScopeError.code, message);
  }
}

/** The environment values a scope is derived from (the app passes its parsed env). */
export interface ScopeVariables {
  OVERTIME_ENV?: string;
  VERCEL_ENV?: string;
  UPSTASH_WORKFLOW_URL?: string;
  VERCEL_PROJECT_PRODUCTION_URL?: string;
  VERCEL_BRANCH_URL?: string;
  VERCEL_URL?: string;
}

/**
 * The scope from the environment: OVERTIME_ENV, else VERCEL_ENV, else `development`; base URL as the
 * app's (lib/vercel.ts: production's project URL, a preview's branch URL, …), so a sync and the app
 * agree on the URL QStash calls.
 */
export function scopeFromEnv(config: ScopeVariables, localPort?: string | number): ScheduleScope {
  return checkedScope({
    environment: config.OVERTIME_ENV ?? config.VERCEL_ENV ?? "development",
    baseUrl: deploymentBaseUrl({
      explicitUrl: config.UPSTASH_WORKFLOW_URL,
      vercelEnv: config.VERCEL_ENV,
      productionHost: config.VERCEL_PROJECT_PRODUCTION_URL,
      branchHost: config.VERCEL_BRANCH_URL,
      deploymentHost: config.VERCEL_URL,
      localPort,
    }),
  });
}

/** Rejects scopes that cannot be right: bad names, non-http URLs, production pointing at a local address. */
export function checkedScope(scope: ScheduleScope): ScheduleScope {
  if (!ENVIRONMENT.test(scope.environment)) {
    throw new ScheduleScopeError(
      `Environment ${JSON.stringify(scope.environment)} must be 1-32 lower-case letters or digits ` +
        "(it is part of every schedule id); set OVERTIME_ENV.",
    );
  }
  const url = parseUrl(scope.baseUrl);
  if (scope.environment === "production" && isLocalHost(url.hostname)) {
    throw new ScheduleScopeError(
      `Refusing to sync production schedules to ${scope.baseUrl}: QStash cannot reach a local address. ` +
        "Set UPSTASH_WORKFLOW_URL to the production URL, or OVERTIME_ENV to a non-production name.",
    );
  }
  return scope;
}

/** `overtime-<env>-<8 hex of sha256(base URL)>`: the start of every schedule id of this scope. */
export function scopeTag(scope: ScheduleScope): string {
  return `${ID_PREFIX}-${scope.environment}-${urlHash(scope.baseUrl)}`;
}

export function scheduleIdFor(scope: ScheduleScope, workflow: string, declaredId: string): string {
  return `${scopeTag(scope)}-${workflow}-${declaredId}`;
}

/** The scope parts of an Overtime-shaped id, or undefined for any other id (made by hand or another tool). */
export function parseOwnedId(scheduleId: string): { environment: string; urlHash: string } | undefined {
  const match = OWNED_ID.exec(scheduleId);
  if (!match) return undefined;
  return { environment: match[1] as string, urlHash: match[2] as string };
}

export function belongsTo(scheduleId: string, scope: ScheduleScope): boolean {
  return scheduleId.startsWith(`${scopeTag(scope)}-`);
}

/** Same URL, same hash: scheme and host are case-insensitive, a trailing slash does not matter. */
export function urlHash(baseUrl: string): string {
  const url = parseUrl(baseUrl);
  const normalized = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  return createHash("sha256").update(normalized).digest("hex").slice(0, 8);
}

function parseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ScheduleScopeError(`Base URL ${JSON.stringify(baseUrl)} is not a URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ScheduleScopeError(`Base URL ${JSON.stringify(baseUrl)} must be http(s).`);
  }
  return url;
}

function isLocalHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    hostname === "0.0.0.0" ||
    hostname.startsWith("127.")
  );
}
