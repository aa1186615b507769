import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis as IORedis } from "ioredis";
import type { RunningDevModel } from "../../dev/model/server";
import type { RunningQStash } from "../../dev/qstash/server";
import type { RunningRedisRest } from "../../dev/redis-rest/server";
import {
  DEV_OPENAI_API_KEY,
  DEV_REDIS_REST_TOKEN,
  type DevStack,
  type DevStackOptions,
} from "../../dev/stack";
import { stopChildProcess } from "../../dev/support/child-process";
import { startRedisServer } from "../../dev/support/redis-server";
import type { StandinKind, StandinMessage } from "../../dev/support/standin-process";
import { round } from "./numbers";

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../dev/support/standin-process.ts");
const READY_TIMEOUT_MS = 30_000;

export interface ProcessMemory {
  process: string;
  pid: number;
  rssMb: number;
  /** Node heap used; for redis-server, `used_memory` from INFO memory. */
  heapUsedMb: number;
}

/** The dev stack with each stand-in in its own Node process (and redis-server as usual). */
export interface SplitDevStack extends DevStack {
  /** RSS and heap of the calling process (the app), each stand-in process and redis-server. */
  memory(): Promise<ProcessMemory[]>;
}

interface Standin {
  kind: StandinKind;
  child: ChildProcess;
  ready: Extract<StandinMessage, { type: "ready" }>;
}

const mb = (bytes: number) => round(bytes / 1024 ** 2, 1);

/** Same options and env as `startDevStack`, but the stand-ins run in child processes (`standin-process.ts`). */
export async function startSplitDevStack(options: DevStackOptions): Promise<SplitDevStack> {
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
  };
  try {
    const redis = await startRedisServer({ dataDir: path.join(options.dataDir, "redis"), persist: false });
    stoppers.push(() => redis.stop());
    const token = options.redisRestToken ?? DEV_REDIS_REST_TOKEN;
    const opt = (flag: string, value: string | number | undefined) =>
      value === undefined ? [] : [flag, String(value)];
    const redisRest = await spawnStandin("redis-rest", [
      ...opt("--port", options.ports?.redisRest ?? 0),
      ...opt("--redis-url", redis.url),
      ...opt("--token", token),
    ]);
    stoppers.push(() => stopChildProcess(redisRest.child));
    const qstash = await spawnStandin("qstash", [
      ...opt("--port", options.ports?.qstash ?? 0),
      ...opt("--redis-url", redis.url),
      ...opt("--key-prefix", options.qstashKeyPrefix),
      ...opt("--max-message-bytes", options.qstashMaxMessageBytes),
    ]);
    stoppers.push(() => stopChildProcess(qstash.child));
    const model = await spawnStandin("model", [
      ...opt("--port", options.ports?.model ?? 0),
      ...opt("--api-key", DEV_OPENAI_API_KEY),
      ...opt("--tokens-per-minute", options.model?.tokensPerMinute),
      ...opt("--requests-per-minute", options.model?.requestsPerMinute),
    ]);
    stoppers.push(() => stopChildProcess(model.child));
    const info = new IORedis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await info.connect();
    stoppers.push(async () => info.disconnect());
    const notHere = (): never => {
      throw new Error("not available: this stand-in runs in a child process (use its /__dev routes)");
    };
    const close = async () => {};
    return {
      env: {
        UPSTASH_REDIS_REST_URL: redisRest.ready.url,
        UPSTASH_REDIS_REST_TOKEN: token,
        QSTASH_URL: qstash.ready.url,
        QSTASH_TOKEN: qstash.ready.token as string,
        QSTASH_CURRENT_SIGNING_KEY: qstash.ready.currentSigningKey as string,
        QSTASH_NEXT_SIGNING_KEY: qstash.ready.nextSigningKey as string,
        OPENAI_BASE_URL: model.ready.url,
        OPENAI_API_KEY: DEV_OPENAI_API_KEY,
        REDIS_URL: redis.url,
      },
      redisRest: { url: redisRest.ready.url, port: redisRest.ready.port, token, stats: notHere, close },
      qstash: {
        url: qstash.ready.url,
        port: qstash.ready.port,
        token: qstash.ready.token as string,
        currentSigningKey: qstash.ready.currentSigningKey as string,
        nextSigningKey: qstash.ready.nextSigningKey as string,
        close,
      } satisfies RunningQStash,
      model: { url: model.ready.url, port: model.ready.port, stats: notHere, setFaults: notHere, close },
      stop: stopAll,
      async memory() {
        const app = process.memoryUsage();
        const rows: ProcessMemory[] = [
          {
            process: "app + bench (this process)",
            pid: process.pid,
            rssMb: mb(app.rss),
            heapUsedMb: mb(app.heapUsed),
          },
        ];
        for (const s of [redisRest, qstash, model]) {
          const usage = await memoryOf(s);
          rows.push({
            process: s.kind,
            pid: s.ready.pid,
            rssMb: mb(usage.rss),
            heapUsedMb: mb(usage.heapUsed),
          });
        }
        const text = await info.info("memory");
        const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? 0);
        const pid = Number(/process_id:(\d+)/.exec(await info.info("server"))?.[1] ?? 0);
        rows.push({
          process: "redis-server",
          pid,
          rssMb: mb(field("used_memory_rss")),
          heapUsedMb: mb(field("used_memory")),
        });
        return rows;
      },
    } satisfies SplitDevStack as SplitDevStack & { redisRest: RunningRedisRest; model: RunningDevModel };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function spawnStandin(kind: StandinKind, args: string[]): Promise<Standin> {
  const child = fork(ENTRY, [kind, ...args], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${kind} stand-in did not start within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onMessage = (message: StandinMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        child.off("message", onMessage);
        resolve({ kind, child, ready: message });
      } else if (message.type === "error") {
        clearTimeout(timer);
        reject(new Error(`${kind} stand-in failed to start: ${message.message}`));
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} stand-in exited with ${code} before it was ready`));
    });
  });
}

function memoryOf(s: Standin): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${s.kind} did not report its memory`)), 5_000);
    const onMessage = (message: StandinMessage) => {
      if (message.type !== "memory") return;
      clearTimeout(timer);
      s.child.off("message", onMessage);
      resolve(message.usage);
    };
    s.child.on("message", onMessage);
    s.child.send({ type: "memory" });
  });
}
