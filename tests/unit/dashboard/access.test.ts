import { describe, expect, it } from "vitest";
import {
  type Access,
  checkAccess,
  hasOwnAuth,
  resolveAccess,
  sessionCookieSecure,
} from "@/lib/dashboard/access";
import type { SessionVerifier } from "@/lib/dashboard/sessions";

const TOKEN = "dashboard-token-0123456789";
const token: Access = { mode: "token", token: TOKEN };
/** The session store's verdicts, as checkAccess sees them (the store itself: tests/integration/dashboard). */
const SESSION = "a-live-session";
const sessions: SessionVerifier = { verify: async (given, cookie) => given === TOKEN && cookie === SESSION };

function request(
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
  sessionCookie?: string,
) {
  return { method, pathname, headers: new Headers({ host: "dash.example", ...headers }), sessionCookie };
}

describe("resolveAccess: the production / local switch", () => {
  it("requires the token whenever DASHBOARD_TOKEN is set, in any NODE_ENV", () => {
    expect(resolveAccess({ NODE_ENV: "production", DASHBOARD_TOKEN: TOKEN })).toEqual(token);
    expect(resolveAccess({ NODE_ENV: "development", DASHBOARD_TOKEN: TOKEN })).toEqual(token);
  });

  it("locks production without a token, naming the variable", () => {
    const access = resolveAccess({ NODE_ENV: "production" });
    expect(access.mode).toBe("locked");
    expect(access.mode === "locked" && access.reason).toContain("DASHBOARD_TOKEN is not set");
    expect(resolveAccess({ NODE_ENV: "production", DASHBOARD_TOKEN: "" }).mode).toBe("locked");
  });

  it("locks rather than accepting a short token", () => {
    const access = resolveAccess({ NODE_ENV: "development", DASHBOARD_TOKEN: "short" });
    expect(access.mode === "locked" && access.reason).toContain("at least 16");
  });

  it("is open locally without a token", () => {
    expect(resolveAccess({ NODE_ENV: "development" })).toEqual({ mode: "local" });
    expect(resolveAccess({})).toEqual({ mode: "local" });
  });
});

describe("checkAccess", () => {
  it("answers 401 without credentials for pages and the API", async () => {
    for (const path of ["/", "/runs/wfr_1", "/api/runs", "/api/runs/wfr_1/events", "/api/health"]) {
      expect(await checkAccess(token, request("GET", path))).toMatchObject({ allow: false, status: 401 });
    }
  });

  it("accepts a bearer token or a valid session cookie", async () => {
    const bearer = request("GET", "/api/runs", { authorization: `Bearer ${TOKEN}` });
    expect(await checkAccess(token, bearer)).toEqual({ allow: true });
    expect(await checkAccess(token, request("GET", "/", {}, SESSION), sessions)).toEqual({ allow: true });
    const wrong = request("GET", "/api/runs", { authorization: "Bearer nope-nope-nope-nope" });
    expect(await checkAccess(token, wrong)).toMatchObject({ status: 401 });
  });

  it("lets routes with their own auth through: QStash's workflow endpoint and the trigger-secret routes", async () => {
    for (const [method, path] of [
      ["POST", "/api/workflows/hello"],
      ["POST", "/api/trigger/hello"],
      ["POST", "/api/events/evt-1"],
      ["POST", "/api/runs/wfr_1/cancel"],
      ["POST", "/api/runs/wfr_1/retry"],
      ["POST", "/api/runs/wfr_1/approvals/call_1"],
    ] as const) {
      expect(hasOwnAuth(method, path)).toBe(true);
      expect(await checkAccess({ mode: "locked", reason: "x" }, request(method, path))).toEqual({
        allow: true,
      });
    }
    expect(hasOwnAuth("GET", "/api/runs/wfr_1")).toBe(false);
    expect(hasOwnAuth("GET", "/api/trigger/hello")).toBe(false);
  });

  it("refuses cross-site state changes riding on a cookie, but not bearer calls", async () => {
    const session = SESSION;
    const crossSite = request("POST", "/trigger", { origin: "https://evil.example" }, session);
    expect(await checkAccess(token, crossSite, sessions)).toMatchObject({ allow: false, status: 403 });
    const sameSite = request("POST", "/trigger", { origin: "https://dash.example" }, session);
    expect(await checkAccess(token, sameSite, sessions)).toEqual({ allow: true });
    const noOrigin = request("POST", "/trigger", {}, session);
    expect(await checkAccess(token, noOrigin, sessions)).toMatchObject({ status: 403 });
    const fetchMetadata = request("POST", "/trigger", { "sec-fetch-site": "same-origin" }, session);
    expect(await checkAccess(token, fetchMetadata, sessions)).toEqual({ allow: true });
    const bearer = request("POST", "/trigger", {
      authorization: `Bearer ${TOKEN}`,
      origin: "https://x.example",
    });
    expect(await checkAccess(token, bearer)).toEqual({ allow: true });
  });

  it("serves the sign-in page without credentials but guards its form against other sites", async () => {
    expect(await checkAccess(token, request("GET", "/login"))).toEqual({ allow: true });
    const post = request("POST", "/login", { origin: "https://evil.example" });
    expect(await checkAccess(token, post)).toMatchObject({ status: 403 });
  });

  it("opens local dev to loopback hosts only", async () => {
    const local: Access = { mode: "local" };
    for (const host of ["localhost:3000", "127.0.0.1:3000", "[::1]:3000"]) {
      expect(await checkAccess(local, request("GET", "/", { host }))).toEqual({ allow: true });
    }
    expect(await checkAccess(local, request("GET", "/", { host: "192.168.1.20:3000" }))).toMatchObject({
      status: 401,
    });
    const rebinding = request("GET", "/api/runs", { host: "attacker.example:3000" });
    expect(await checkAccess(local, rebinding)).toMatchObject({ status: 401 });
    const crossSite = request("POST", "/", { host: "127.0.0.1:3000", origin: "https://evil.example" });
    expect(await checkAccess(local, crossSite)).toMatchObject({ status: 403 });
  });

  it("refuses everything but own-auth routes when locked", async () => {
    const locked = resolveAccess({ NODE_ENV: "production" });
    const verdict = await checkAccess(locked, request("GET", "/", { authorization: `Bearer ${TOKEN}` }));
    expect(verdict).toMatchObject({ allow: false, status: 401 });
  });
});

describe("session cookies in checkAccess", () => {
  it("accept only what the session store accepts, and nothing without a store", async () => {
    expect(await checkAccess(token, request("GET", "/", {}, SESSION), sessions)).toEqual({ allow: true });
    expect(await checkAccess(token, request("GET", "/", {}, "revoked"), sessions)).toMatchObject({
      status: 401,
    });
    expect(await checkAccess(token, request("GET", "/", {}, SESSION))).toMatchObject({ status: 401 });
  });

  it("answer 503 when the store cannot be asked, never let the request through", async () => {
    const down: SessionVerifier = {
      verify: async () => {
        throw new Error("fetch failed");
      },
    };
    expect(await checkAccess(token, request("GET", "/", {}, SESSION), down)).toMatchObject({
      allow: false,
      status: 503,
    });
  });
});

describe("sessionCookieSecure", () => {
  const headers = (host: string, extra: Record<string, string> = {}) => new Headers({ host, ...extra });
  it("is Secure in production whatever the proxy headers say", () => {
    for (const host of ["dash.example", "127.0.0.1:3000", "localhost:3000"]) {
      expect(sessionCookieSecure("production", headers(host))).toBe(true);
      expect(sessionCookieSecure("production", headers(host, { "x-forwarded-proto": "http" }))).toBe(true);
    }
  });

  it("lets local development over plain http keep working on this machine only", () => {
    expect(sessionCookieSecure("development", headers("localhost:3000"))).toBe(false);
    expect(sessionCookieSecure("development", headers("127.0.0.1:3000"))).toBe(false);
    expect(sessionCookieSecure("development", headers("192.168.1.20:3000"))).toBe(true);
    expect(sessionCookieSecure(undefined, headers("dash.example"))).toBe(true);
  });
});
