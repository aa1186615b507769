import { z } from "zod";
import { DependencyUnavailableError, UnauthorizedError } from "../errors";
import type { ReadAccess } from "../http/router";
import type { SessionVerifier } from "./sessions";
import { appSessions } from "./sessions";

/**
 * Who may reach the dashboard and the run API. Decided in one place, from two variables:
 *
 * - `DASHBOARD_TOKEN` set (any NODE_ENV) → "token": a session cookie (from /login, checked against the
 *   server-side session store, see ./sessions.ts) or `Authorization: Bearer`.
 * - production without a valid token → "locked": 401 everywhere, with a message saying what to set.
 * - otherwise (local dev) → "local": open, but only to requests addressed to a loopback host.
 *
 * Web Crypto only: this runs inside the Next.js proxy as well as in server actions.
 */
export type Access =
  | { mode: "token"; token: string }
  | { mode: "local" }
  | { mode: "locked"; reason: string };

/** The shortest DASHBOARD_TOKEN accepted. */
export const DASHBOARD_TOKEN_MIN_LENGTH = 16;
const dashboardToken = z.string().trim().min(DASHBOARD_TOKEN_MIN_LENGTH);

export function resolveAccess(source: { NODE_ENV?: string; DASHBOARD_TOKEN?: string }): Access {
  const raw = source.DASHBOARD_TOKEN?.trim() ? source.DASHBOARD_TOKEN : undefined;
  const token = raw === undefined ? undefined : dashboardToken.safeParse(raw);
  if (token?.success) return { mode: "token", token: token.data };
  if (source.NODE_ENV === "production" || token) {
    const problem = token ? "DASHBOARD_TOKEN must be at least 16 characters" : "DASHBOARD_TOKEN is not set";
    return {
      mode: "locked",
      reason: `${problem}; set it in the deployment's environment to use the dashboard.`,
    };
  }
  return { mode: "local" };
}

export const SESSION_COOKIE = "overtime_session";

/**
 * The session cookie is `Secure` in production whatever proxy headers say (a proxy that drops
 * x-forwarded-proto must not downgrade it); in development only a request to this machine may get it
 * over plain http.
 */
export function sessionCookieSecure(nodeEnv: string | undefined, headers: Headers): boolean {
  return nodeEnv === "production" || !isLoopbackHost(requestHost(headers));
}

/**
 * Paths that authenticate themselves and must stay reachable without a dashboard credential:
 * QStash calls the workflow endpoint with signed requests; webhook callers trigger, notify, cancel,
 * retry and decide approvals with the trigger secret (Bearer or HMAC), which the handlers check.
 * The dashboard does the same through server actions, under its own session.
 */
export function hasOwnAuth(method: string, pathname: string): boolean {
  if (pathname.startsWith("/api/workflows/")) return true;
  if (method !== "POST") return false;
  return (
    pathname.startsWith("/api/trigger/") ||
    pathname.startsWith("/api/events/") ||
    /^\/api\/runs\/[^/]+\/(cancel|retry|replay|approvals\/[^/]+)$/.test(pathname)
  );
}

/** Reachable without credentials so a visitor can sign in (state changes there still need same-origin). */
export const isSignInPath = (pathname: string) => pathname === "/login";

export interface AccessRequest {
  method: string;
  pathname: string;
  headers: Headers;
  sessionCookie?: string;
}

export type Verdict = { allow: true } | { allow: false; status: 401 | 403 | 503; message: string };

const allow: Verdict = { allow: true };
const deny = (status: 401 | 403 | 503, message: string): Verdict => ({ allow: false, status, message });

/** Without `sessions` (no session store reachable) a session cookie is not accepted: bearer only. */
export async function checkAccess(
  access: Access,
  request: AccessRequest,
  sessions?: SessionVerifier,
): Promise<Verdict> {
  if (hasOwnAuth(request.method, request.pathname)) return allow;
  const credential = await credentialOf(access, request, sessions);
  if (credential === "unavailable") {
    return deny(503, "Sessions cannot be checked right now (Redis is unreachable); try again shortly.");
  }
  if (credential === "none") {
    if (access.mode === "locked") return deny(401, access.reason);
    if (access.mode === "local") {
      return deny(
        401,
        "The dashboard without DASHBOARD_TOKEN is open to localhost only; set DASHBOARD_TOKEN.",
      );
    }
    if (!isSignInPath(request.pathname)) {
      return deny(401, "Sign in at /login or send Authorization: Bearer <DASHBOARD_TOKEN>.");
    }
  }
  // A bearer token is never sent by a browser on its own; a cookie or an open localhost is, so
  // state-changing requests riding on those must come from our own pages.
  if (credential !== "bearer" && !isSafeMethod(request.method) && !isSameOrigin(request.headers)) {
    return deny(
      403,
      "Cross-site request refused: state-changing requests must come from the dashboard itself.",
    );
  }
  return allow;
}

type Credential = "bearer" | "session" | "localhost" | "none" | "unavailable";

async function credentialOf(
  access: Access,
  request: AccessRequest,
  sessions: SessionVerifier | undefined,
): Promise<Credential> {
  if (access.mode === "locked") return "none";
  if (access.mode === "local") return isLoopbackHost(requestHost(request.headers)) ? "localhost" : "none";
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization")?.trim() ?? "")?.[1];
  if (bearer !== undefined && (await sameSecret(bearer, access.token))) return "bearer";
  if (!request.sessionCookie || !sessions) return "none";
  try {
    return (await sessions.verify(access.token, request.sessionCookie)) ? "session" : "none";
  } catch {
    return "unavailable";
  }
}

const isSafeMethod = (method: string) => method === "GET" || method === "HEAD" || method === "OPTIONS";

function requestHost(headers: Headers): string {
  return (headers.get("x-forwarded-host") ?? headers.get("host") ?? "").split(",")[0]?.trim() ?? "";
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "").toLowerCase();
  return name === "localhost" || name === "127.0.0.1" || name === "[::1]";
}

/** The Origin (or, without one, Sec-Fetch-Site) says the request came from a page of this host. */
export function isSameOrigin(headers: Headers): boolean {
  const origin = headers.get("origin");
  if (origin && origin !== "null") {
    try {
      return new URL(origin).host === requestHost(headers);
    } catch {
      return false;
    }
  }
  return headers.get("sec-fetch-site") === "same-origin";
}

/** Constant-time: compares HMACs of both under a per-call key, so neither length nor prefix leaks. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const key = await hmacKey(crypto.randomUUID());
  const tag = await crypto.subtle.sign("HMAC", key, encode(expected));
  return crypto.subtle.verify("HMAC", key, tag, encode(given));
}

const encode = (text: string) => new TextEncoder().encode(text);

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/**
 * The router's read access for an app whose dashboard is this one: the same rules as every dashboard
 * page (DASHBOARD_TOKEN as a bearer, or a session cookie; open to localhost only without a token).
 *
 *   export const { GET, POST, PUT, PATCH, DELETE } = createRouteHandlers(overtime, { readAccess: dashboardReadAccess() });
 */
export function dashboardReadAccess(env: Record<string, string | undefined> = process.env): ReadAccess {
  return async (request) => {
    const verdict = await checkAccess(
      resolveAccess(env),
      {
        method: request.method,
        pathname: new URL(request.url).pathname,
        headers: request.headers,
        sessionCookie: cookieValue(request.headers.get("cookie"), SESSION_COOKIE),
      },
      appSessions(env),
    );
    if (verdict.allow) return;
    if (verdict.status === 503) throw new DependencyUnavailableError("redis", verdict.message);
    throw new UnauthorizedError(verdict.message);
  };
}

function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}
