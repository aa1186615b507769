import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevStack, startDevStack } from "@/dev/stack";
import { appSessions, SESSION_TTL_SECONDS, SessionStore } from "@/lib/dashboard/sessions";

const TOKEN = "dashboard-token-0123456789";
let dev: DevStack;
let dataDir: string;
let redis: Redis;
let sessions: SessionStore;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "overtime-sessions-"));
  dev = await startDevStack({ dataDir, persist: false, ports: {} });
  redis = new Redis({ url: dev.env.UPSTASH_REDIS_REST_URL, token: dev.env.UPSTASH_REDIS_REST_TOKEN });
  sessions = new SessionStore({ redis });
});
afterAll(async () => {
  await dev?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("server-side dashboard sessions (Upstash Redis REST)", () => {
  it("accepts a session until sign-out; a copied cookie stops working with it", async () => {
    const cookie = await sessions.create(TOKEN);
    const copy = `${cookie}`;
    expect(await sessions.verify(TOKEN, cookie)).toBe(true);
    expect(await sessions.verify(TOKEN, copy)).toBe(true);
    const other = await sessions.create(TOKEN);

    await sessions.revoke(TOKEN, cookie);
    expect(await sessions.verify(TOKEN, copy)).toBe(false);
    expect(await sessions.verify(TOKEN, other)).toBe(true); // only that session ended
  });

  it("ends every session at once (sign out everywhere); a new sign-in works again", async () => {
    const a = await sessions.create(TOKEN);
    const b = await sessions.create(TOKEN);
    await sessions.revokeAll();
    expect(await sessions.verify(TOKEN, a)).toBe(false);
    expect(await sessions.verify(TOKEN, b)).toBe(false);
    const fresh = await sessions.create(TOKEN);
    expect(await sessions.verify(TOKEN, fresh)).toBe(true);
  });

  it("expires with the session lifetime and stores no usable cookie in Redis", async () => {
    const cookie = await sessions.create(TOKEN);
    const [id] = cookie.split(".") as [string];
    const keys = (await redis.keys("ot:session:*")).filter((key) => !key.endsWith(":generation"));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(id);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(SESSION_TTL_SECONDS - 60);
      expect(ttl).toBeLessThanOrEqual(SESSION_TTL_SECONDS);
    }
    const short = new SessionStore({ redis, prefix: "short", ttlSeconds: 1 });
    const brief = await short.create(TOKEN);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await short.verify(TOKEN, brief)).toBe(false);
  });

  it("turns away forged cookies and sessions of another token", async () => {
    const cookie = await sessions.create(TOKEN);
    expect(await sessions.verify("another-token-0123456789", cookie)).toBe(false);
    const [id] = cookie.split(".") as [string];
    expect(await sessions.verify(TOKEN, `${id}.${"A".repeat(43)}`)).toBe(false);
    for (const garbage of ["", "garbage", `${cookie}x`, "1767225600.abc"]) {
      expect(await sessions.verify(TOKEN, garbage)).toBe(false);
    }
    await sessions.revoke(TOKEN, "garbage"); // ignored
  });

  it("needs the Redis variables; without them there is no session store", () => {
    expect(appSessions({})).toBeUndefined();
    expect(
      appSessions({ UPSTASH_REDIS_REST_URL: "not a url", UPSTASH_REDIS_REST_TOKEN: "x" }),
    ).toBeUndefined();
  });
});
