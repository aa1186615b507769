import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisConfigNodejs, Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { type RunningRedisRest, startRedisRest } from "@/dev/redis-rest/server";
import { type RunningRedisServer, startRedisServer } from "@/dev/support/redis-server";

export const TOKEN = "test-token";

/** A private redis-server, the REST stand-in in front of it, and ways to talk to both. */
export interface Stack {
  redisServer: RunningRedisServer;
  rest: RunningRedisRest;
  /** A direct connection to redis-server, for setup and checks that bypass the stand-in. */
  direct: IORedis;
  /** The real Upstash SDK pointed at the stand-in; no retries so failures surface at once. */
  client(options?: Partial<RedisConfigNodejs>): UpstashRedis;
  /** A raw POST to the stand-in, authorized unless headers say otherwise. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startStack(options: { maxBodyBytes?: number } = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), "redis-rest-test-"));
  const redisServer = await startRedisServer({ dataDir, persist: false });
  const rest = await startRedisRest({
    redisUrl: redisServer.url,
    token: TOKEN,
    maxBodyBytes: options.maxBodyBytes,
  });
  const direct = new IORedis(redisServer.url, { protocol: 2 });
  return {
    redisServer,
    rest,
    direct,
    client: (clientOptions = {}) =>
      new UpstashRedis({
        url: rest.url,
        token: TOKEN,
        enableTelemetry: false,
        retry: false,
        ...clientOptions,
      }),
    post: (path, body, headers = {}) =>
      fetch(`${rest.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      direct.disconnect();
      await rest.close();
      await redisServer.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
