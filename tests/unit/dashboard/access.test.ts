import { describe, expect, it } from "vitest";
import {
  type Access,
  checkAccess,
  createSession,
  hasOwnAuth,
  resolveAccess,
  verifySession,
} from "@/lib/dashboard/access";

const TOKEN = "dashboard-token-0123456789";
const token: Access = { mode: "token", token: TOKEN };

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
    const session = await createSession(TOKEN);
    expect(await checkAccess(token, request("GET", "/", {}, session))).toEqual({ allow: true });
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
    const session = await createSession(TOKEN);
    const crossSite = request("POST", "/trigger", { origin: "https://evil.example" }, session);
    expect(await checkAccess(token, crossSite)).toMatchObject({ allow: false, status: 403 });
    const sameSite = request("POST", "/trigger", { origin: "https://dash.example" }, session);
    expect(await checkAccess(token, sameSite)).toEqual({ allow: true });
    const noOrigin = request("POST", "/trigger", {}, session);
    expect(await checkAccess(token, noOrigin)).toMatchObject({ status: 403 });
    const fetchMetadata = request("POST", "/trigger", { "sec-fetch-site": "same-origin" }, session);
    expect(await checkAccess(token, fetchMetadata)).toEqual({ allow: true });
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

describe("sessions", () => {
  it("verify with the token that made them, until they expire", async () => {
    const now = Date.UTC(2026, 0, 1);
    const session = await createSession(TOKEN, now);
    expect(await verifySession(TOKEN, session, now + 1_000)).toBe(true);
    expect(await verifySession("another-token-0123456789", session, now)).toBe(false);
    expect(await verifySession(TOKEN, session, now + 8 * 86_400_000)).toBe(false);
    const [expires, signature] = session.split(".");
    expect(await verifySession(TOKEN, `${Number(expires) + 999}.${signature}`, now)).toBe(false);
    expect(await verifySession(TOKEN, "garbage", now)).toBe(false);
  });
});
