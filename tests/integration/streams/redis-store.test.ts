import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";
import { seedIfEmpty, seedStreams } from "@/app/_lib/streams/seed";
import { type DevStack, startDevStack } from "@/dev/stack";
import { storeContract } from "../../unit/streams/store-contract";

let dev: DevStack;
let dataDir: string;
let redis: Redis;
let stores = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "overtime-streams-"));
  dev = await startDevStack({ dataDir, persist: false, ports: {} });
  redis = new Redis({ url: dev.env.UPSTASH_REDIS_REST_URL, token: dev.env.UPSTASH_REDIS_REST_TOKEN });
});
afterAll(async () => {
  await dev?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const requests = async () => {
  const response = await fetch(`${dev.env.UPSTASH_REDIS_REST_URL}/__dev/stats`, {
    headers: { authorization: `Bearer ${dev.env.UPSTASH_REDIS_REST_TOKEN}` },
  });
  return ((await response.json()) as { requests: number }).requests;
};

describe("RedisStreamStore through the Upstash REST API", () => {
  storeContract(() => new RedisStreamStore(redis, { prefix: `contract${++stores}` }));

  it("seeds the reference data once, in one request per stream plus the descriptions", async () => {
    const store = new RedisStreamStore(redis, { prefix: "seed" });
    const before = await requests();
    expect(await seedIfEmpty(store)).toEqual({ streams: 11, added: 7886, replaced: 0 });
    // Per stream: HSET of its description + one pipeline of EVALs; plus the emptiness check.
    expect((await requests()) - before).toBe(1 + 11 * 2);
    expect(await seedStreams(store)).toEqual({ streams: 11, added: 0, replaced: 0 });
    expect(await seedIfEmpty(store)).toBeUndefined();
    const streams = await store.listStreams();
    expect(streams.find((s) => s.id === "seattle.temp_max")).toMatchObject({
      count: 1461,
      firstAt: Date.UTC(2012, 0, 1),
      lastAt: Date.UTC(2015, 11, 31),
    });
    expect(await store.recent("co2.ppm", 1)).toEqual([{ t: Date.UTC(2020, 3, 1), v: 416.18 }]);
  });
});
