import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningQStash, startQStash } from "../../../dev/qstash/server";
import { startRedisServer } from "../../../dev/support/redis-server";
import { type Harness, startHarness } from "./harness";

let h: Harness;
let second: RunningQStash;
beforeAll(async () => {
  h = await startHarness();
  second = await startQStash({ redisUrl: h.redis.url });
});
afterAll(async () => {
  await second?.close();
  await h?.stop();
});

describe("two stand-ins on one Redis", () => {
  it("deliver every message exactly once", async () => {
    const ids = new Set<string>();
    const publishers = [h.client, h.client];
    for (let n = 0; n < 60; n++) {
      const client = publishers[n % 2] ?? h.client;
      const { messageId } = await client.publish({
        url: `${h.endpoint.url}/once?n=${n}`,
        body: String(n),
        delay: 1,
      });
      ids.add(messageId);
    }
    await h.advance(2_000);
    await h.endpoint.waitFor(() => h.endpoint.requests.length >= 60);
    await new Promise((r) => setTimeout(r, 300));
    const delivered = h.endpoint.requests.map((r) => String(r.headers["upstash-message-id"]));
    expect(delivered).toHaveLength(60);
    expect(new Set(delivered)).toEqual(ids);
  });

  it("a message accepted by one process is delivered after that process stops", async () => {
    h.endpoint.requests.length = 0;
    const response = await fetch(`${second.url}/v2/publish/${h.endpoint.url}/handover`, {
      method: "POST",
      headers: { Authorization: `Bearer ${second.token}`, "Upstash-Delay": "60s" },
      body: "handover",
    });
    expect(response.status).toBe(200);
    await second.close();
    await h.advance(61_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/handover").length === 1);
  });
});

describe("shutdown without Redis", () => {
  it("closes within seconds when Redis went away first, instead of waiting for it forever", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "qstash-gone-"));
    const redis = await startRedisServer({ dataDir, persist: false });
    const qstash = await startQStash({ redisUrl: redis.url });
    await redis.stop();
    await expect(qstash.close()).resolves.toBeUndefined();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
