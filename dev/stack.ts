import path from "node:path";
import { type RunningDevModel, startDevModel } from "./model/server";
import { type RunningQStash, startQStash } from "./qstash/server";
import { type RunningRedisRest, startRedisRest } from "./redis-rest/server";
import { type RunningRedisServer, startRedisServer } from "./support/redis-server";

export type ServiceName = "redis" | "redis-rest" | "qstash" | "model";

export interface DevStackOptions {
  /** Where the spawned redis-server keeps its data. */
  dataDir: string;
  /** Use this Redis instead of spawning one (e.g. redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** Keep Redis data across restarts (append-only file). Default true. */
  persist?: boolean;
  /** Ports for the stand-ins; 0 or omitted picks a free one. */
  ports?: { redisRest?: number; qstash?: number; model?: number };
  redisRestToken?: string;
  /** Prefix for the QStash stand-in's Redis keys, so several stacks can share one Redis. */
  qstashKeyPrefix?: string;
  onLog?: (service: ServiceName, line: string) => void;
  /** Limits the dev model enforces itself (defaults: practically none). */
  model?: { tokensPerMinute?: number; requestsPerMinute?: number };
  /** QStash stand-in's maximum message size (default 1 MB). */
  qstashMaxMessageBytes?: number;
  /** QStash stand-in's retry cap (default 100; above it a publish answers 412). */
  qstashMaxRetries?: number;
  /** QStash stand-in's maximum delay / not-before distance (default 365 days). */
  qstashMaxDelayMs?: number;
}

/** The settings an app needs to use the stack, as environment variables. */
export interface DevStackEnv {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  QSTASH_URL: string;
  QSTASH_TOKEN: string;
  QSTASH_CURRENT_SIGNING_KEY: string;
  QSTASH_NEXT_SIGNING_KEY: string;
  OPENAI_BASE_URL: string;
  OPENAI_API_KEY: string;
  REDIS_URL: string;
}

export interface DevStack {
  env: DevStackEnv;
  redisRest: RunningRedisRest;
  qstash: RunningQStash;
  model: RunningDevModel;
  stop(): Promise<void>;
}

/** A stand-in that has not closed by then is left behind rather than hanging the shutdown. */
const STOP_TIMEOUT_MS = 5_000;

export const DEV_REDIS_REST_TOKEN = "overtime-dev-redis-token";
export const DEV_OPENAI_API_KEY = "overtime-dev-model-key";

/**
 * Boots the local stand-ins: a real redis-server (unless `redisUrl` is given), the Upstash Redis
 * REST endpoint in front of it, the QStash stand-in and the dev model. If any fails to start,
 * whatever did start is stopped before the error is rethrown.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const log = (service: ServiceName) => (line: string) => options.onLog?.(service, line);
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await withTimeout(stop(), STOP_TIMEOUT_MS).catch(() => {});
  };
  try {
    const redisUrl = options.redisUrl ?? (await spawnRedis(options, log("redis"), stoppers));
    const token = options.redisRestToken ?? DEV_REDIS_REST_TOKEN;
    const redisRest = await startRedisRest({
      redisUrl,
      token,
      port: options.ports?.redisRest ?? 0,
      onLog: log("redis-rest"),
    });
    stoppers.push(() => redisRest.close());
    const qstash = await startQStash({
      redisUrl,
      port: options.ports?.qstash ?? 0,
      keyPrefix: options.qstashKeyPrefix,
      maxMessageBytes: options.qstashMaxMessageBytes,
      maxRetries: options.qstashMaxRetries,
      maxDelayMs: options.qstashMaxDelayMs,
      onLog: log("qstash"),
    });
    stoppers.push(() => qstash.close());
    const model = await startDevModel({
      port: options.ports?.model ?? 0,
      apiKey: DEV_OPENAI_API_KEY,
      tokensPerMinute: options.model?.tokensPerMinute,
      requestsPerMinute: options.model?.requestsPerMinute,
      // Its rate-limit minute runs on QStash's virtual clock, like every wait of the stack.
      now: qstash.now,
      onLog: log("model"),
    });
    stoppers.push(() => model.close());
    const env: DevStackEnv = {
      UPSTASH_REDIS_REST_URL: redisRest.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: qstash.token,
      QSTASH_CURRENT_SIGNING_KEY: qstash.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: qstash.nextSigningKey,
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: DEV_OPENAI_API_KEY,
      REDIS_URL: redisUrl,
    };
    return { env, redisRest, qstash, model, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function spawnRedis(
  options: DevStackOptions,
  onLog: (line: string) => void,
  stoppers: Array<() => Promise<void>>,
): Promise<string> {
  const server: RunningRedisServer = await startRedisServer({
    dataDir: path.join(options.dataDir, "redis"),
    persist: options.persist ?? true,
    onLog,
  });
  stoppers.push(() => server.stop());
  return server.url;
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not stop within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
