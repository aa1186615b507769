import { Redis as IORedis } from "ioredis";
import { z } from "zod";
import { createTestStack, type TestStack } from "../dev/testing";
import { defineWorkflow } from "../lib/workflow/define";
import { percentile, pollUntil, round } from "./support/numbers";
import { type Bench, type BenchOutcome, table } from "./support/report";

const TRIGGERS = 1_000;
const FINISH_TIMEOUT_MS = 300_000;

const finished = new Set<string>();

const ping = defineWorkflow({
  name: "ping",
  input: z.object({ n: z.number().int() }),
  async handler({ context, input, runId }) {
    const echoed = await context.run("echo", () => input.n);
    finished.add(runId);
    return { echoed };
  },
});

export const loadBench: Bench = {
  name: "load",
  title: `Load: ${TRIGGERS.toLocaleString("en-US")} concurrent webhook triggers`,
  method:
    `${TRIGGERS} \`POST /api/trigger/ping\` (Bearer auth, a one-step workflow) sent at once over loopback to the ` +
    "test app (`createTestStack`, the same handlers as the Next.js routes). Latency = until the 202. Then waits " +
    `(at most ${FINISH_TIMEOUT_MS / 1000} s) for every accepted run to finish and checks each run record. ` +
    "One caller, its rate limit raised to 100,000/min (the default, 60/min, answers 429 past the 60th). Memory: the stand-ins (QStash, Redis REST, dev model) and the app share this one Node process, so its " +
    "RSS/heap are reported; redis-server is a child process (its RSS from INFO memory).",
  run: runLoad,
};

interface Trigger {
  status: number;
  ms: number;
  runId?: string;
}

async function runLoad(): Promise<BenchOutcome> {
  // The default per-caller limit (60 a minute) would answer 429 to most of them: one caller, raised limit.
  const t = await createTestStack({ workflows: [ping], rateLimit: { requests: 100_000 } });
  const redis = new IORedis(t.dev.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const memoryBefore = await memory(redis);
    const started = performance.now();
    const triggers = await Promise.all(Array.from({ length: TRIGGERS }, (_, n) => trigger(t, n)));
    const triggerSeconds = (performance.now() - started) / 1000;
    const accepted = triggers.filter((x) => x.status === 202 && x.runId);
    await pollUntil(
      async () => accepted.every((x) => finished.has(x.runId as string)),
      FINISH_TIMEOUT_MS,
      200,
    );
    const allSeconds = (performance.now() - started) / 1000;
    await t.waitForIdle().catch(() => {});
    const memoryAfter = await memory(redis);
    const succeeded = await countSucceeded(
      t,
      accepted.map((x) => x.runId as string),
    );
    return outcome({
      triggers,
      accepted: accepted.length,
      succeeded,
      triggerSeconds,
      allSeconds,
      memoryBefore,
      memoryAfter,
    });
  } finally {
    redis.disconnect();
    await t.stop();
  }
}

async function trigger(t: TestStack, n: number): Promise<Trigger> {
  const started = performance.now();
  try {
    const response = await fetch(`${t.url}/api/trigger/ping`, {
      method: "POST",
      headers: { authorization: "Bearer test-secret", "content-type": "application/json" },
      body: JSON.stringify({ n }),
    });
    const body = (await response.json().catch(() => ({}))) as { runId?: string };
    return { status: response.status, ms: performance.now() - started, runId: body.runId };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

async function countSucceeded(t: TestStack, runIds: readonly string[]): Promise<number> {
  let succeeded = 0;
  for (let i = 0; i < runIds.length; i += 50) {
    const runs = await Promise.all(runIds.slice(i, i + 50).map((id) => t.overtime.store.getRun(id)));
    succeeded += runs.filter((run) => run?.status === "succeeded").length;
  }
  return succeeded;
}

async function memory(redis: IORedis) {
  const usage = process.memoryUsage();
  const info = await redis.info("memory");
  const mbOf = (bytes: number) => round(bytes / 1024 ** 2, 1);
  return {
    nodeRssMb: mbOf(usage.rss),
    nodeHeapUsedMb: mbOf(usage.heapUsed),
    redisServerRssMb: mbOf(Number(/used_memory_rss:(\d+)/.exec(info)?.[1] ?? 0)),
    redisServerUsedMb: mbOf(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)),
  };
}

type Memory = Awaited<ReturnType<typeof memory>>;

interface LoadFigures {
  triggers: Trigger[];
  accepted: number;
  succeeded: number;
  triggerSeconds: number;
  allSeconds: number;
  memoryBefore: Memory;
  memoryAfter: Memory;
}

function outcome(f: LoadFigures): BenchOutcome {
  const latencies = f.triggers.map((x) => x.ms);
  const statuses: Record<string, number> = {};
  for (const x of f.triggers) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
  const lost = f.accepted - f.succeeded;
  const figures = {
    triggers: TRIGGERS,
    statuses,
    accepted: f.accepted,
    latencyMs: {
      p50: round(percentile(latencies, 50), 1),
      p99: round(percentile(latencies, 99), 1),
      max: round(Math.max(...latencies), 1),
    },
    triggerSeconds: round(f.triggerSeconds, 1),
    runsFinished: f.succeeded,
    lost,
    secondsUntilAllFinished: round(f.allSeconds, 1),
    memoryBefore: f.memoryBefore,
    memoryAfter: f.memoryAfter,
  };
  const memoryRows = (Object.keys(f.memoryBefore) as Array<keyof Memory>).map((key) => [
    key,
    f.memoryBefore[key],
    f.memoryAfter[key],
  ]);
  return {
    figures,
    markdown: [
      table(
        [
          "triggers",
          "answers",
          "p50 ms",
          "p99 ms",
          "all answered in",
          "runs finished",
          "lost",
          "all finished in",
        ],
        [
          [
            TRIGGERS,
            Object.entries(statuses)
              .map(([s, c]) => `${s}: ${c}`)
              .join(", "),
            figures.latencyMs.p50,
            figures.latencyMs.p99,
            `${figures.triggerSeconds} s`,
            f.succeeded,
            lost,
            `${figures.secondsUntilAllFinished} s`,
          ],
        ],
      ),
      table(["memory (MB)", "before", "after"], memoryRows),
    ],
    targets: [
      {
        target: `${TRIGGERS} concurrent triggers: all accepted, none lost`,
        measured: `${f.accepted} accepted, ${f.succeeded} finished, ${lost} lost`,
        met: f.accepted === TRIGGERS && lost === 0,
      },
    ],
  };
}
