import { request as httpRequest } from "node:http";
import { z } from "zod";
import { createTestStack, type TestStack } from "../dev/testing";
import { defineWorkflow } from "../lib/workflow/define";
import { percentile, pollUntil, round } from "./support/numbers";
import { type Bench, type BenchOutcome, table } from "./support/report";
import { type ProcessMemory, type SplitDevStack, startSplitDevStack } from "./support/split-stack";

const TRIGGERS = 1_000;
/** Triggers sent one after another on the idle stack first: what one trigger costs without a queue. */
const SEQUENTIAL_TRIGGERS = 50;
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
    "One caller, its rate limit raised to 100,000/min (the default, 60/min, answers 429 past the 60th). Memory: each stand-in (Redis REST, QStash, dev model) runs in its own child Node process " +
    "(`dev/support/standin-process.ts`, asked for `process.memoryUsage()` over IPC); the app and this benchmark share the " +
    "parent process; redis-server's RSS and used memory come from INFO memory. Before = stack idle, after = all runs finished.",
  run: runLoad,
};

interface Trigger {
  /** HTTP status, or 0 when no answer came (see `error`). */
  status: number;
  ms: number;
  runId?: string;
  /** The socket error when no answer came (e.g. ECONNRESET). */
  error?: string;
}

async function runLoad(): Promise<BenchOutcome> {
  // The default per-caller limit (60 a minute) would answer 429 to most of them: one caller, raised limit.
  const t = await createTestStack({
    workflows: [ping],
    rateLimit: { requests: 100_000 },
    startDev: startSplitDevStack,
  });
  const memory = () => (t.dev as SplitDevStack).memory();
  try {
    const sequential: Trigger[] = [];
    for (let n = 0; n < SEQUENTIAL_TRIGGERS; n++) {
      sequential.push(await trigger(t, -1 - n));
      await t.waitForIdle(); // its run finished too: the next trigger finds the stack idle
    }
    const memoryBefore = await memory();
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
    const memoryAfter = await memory();
    const succeeded = await countSucceeded(
      t,
      accepted.map((x) => x.runId as string),
    );
    return outcome({
      sequential,
      triggers,
      accepted: accepted.length,
      succeeded,
      triggerSeconds,
      allSeconds,
      memoryBefore,
      memoryAfter,
    });
  } finally {
    await t.stop();
  }
}

async function trigger(t: TestStack, n: number): Promise<Trigger> {
  const started = performance.now();
  // node:http rather than fetch: fetch gives up on a connection after 10 s, and with 1,000 connections
  // at once some wait that long in the listen backlog while the app is busy (reported as status 0).
  const body = JSON.stringify({ n });
  return new Promise((resolve) => {
    const request = httpRequest(
      `${t.url}/api/trigger/ping`,
      {
        method: "POST",
        agent: false,
        headers: {
          authorization: "Bearer test-secret",
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          let runId: string | undefined;
          try {
            runId = (JSON.parse(text) as { runId?: string }).runId;
          } catch {}
          resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, runId });
        });
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ status: 0, ms: performance.now() - started, error: error.code ?? error.message }),
    );
    request.end(body);
  });
}

async function countSucceeded(t: TestStack, runIds: readonly string[]): Promise<number> {
  let succeeded = 0;
  for (let i = 0; i < runIds.length; i += 50) {
    const runs = await Promise.all(runIds.slice(i, i + 50).map((id) => t.overtime.store.getRun(id)));
    succeeded += runs.filter((run) => run?.status === "succeeded").length;
  }
  return succeeded;
}

interface LoadFigures {
  sequential: Trigger[];
  triggers: Trigger[];
  accepted: number;
  succeeded: number;
  triggerSeconds: number;
  allSeconds: number;
  memoryBefore: ProcessMemory[];
  memoryAfter: ProcessMemory[];
}

function outcome(f: LoadFigures): BenchOutcome {
  const latencies = f.triggers.map((x) => x.ms);
  const statuses: Record<string, number> = {};
  for (const x of f.triggers) {
    const answer = x.status === 0 ? `no answer (${x.error})` : String(x.status);
    statuses[answer] = (statuses[answer] ?? 0) + 1;
  }
  const lost = f.accepted - f.succeeded;
  const alone = f.sequential.map((x) => x.ms);
  const perSecond = round(f.accepted / f.triggerSeconds, 0);
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
    acceptedPerSecond: perSecond,
    sequentialLatencyMs: { p50: round(percentile(alone, 50), 1), p99: round(percentile(alone, 99), 1) },
    runsFinished: f.succeeded,
    lost,
    secondsUntilAllFinished: round(f.allSeconds, 1),
    memoryBefore: f.memoryBefore,
    memoryAfter: f.memoryAfter,
  };
  const memoryRows = f.memoryBefore.map((before) => {
    const after = f.memoryAfter.find((m) => m.process === before.process);
    return [before.process, before.rssMb, after?.rssMb ?? "", before.heapUsedMb, after?.heapUsedMb ?? ""];
  });
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
      table(
        ["process", "RSS MB before", "RSS MB after", "heap used MB before", "heap used MB after"],
        memoryRows,
      ),
      `Accepted ${perSecond} triggers a second while the runs they started were already executing on the same ` +
        "two cores, so the latencies above are mostly queueing behind the other requests of the burst. One trigger " +
        `at a time on the idle stack (${SEQUENTIAL_TRIGGERS} before the burst, each once the previous run finished): p50 ` +
        `${figures.sequentialLatencyMs.p50} ms, p99 ${figures.sequentialLatencyMs.p99} ms (auth, rate limit and ` +
        "run record in Redis, the QStash publish).",
      "Heap used is Node's `heapUsed`; for redis-server it is INFO `used_memory`.",
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
