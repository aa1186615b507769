import { BULLMQ_MISSING, bullmqMedianStepMs } from "./support/bullmq";
import { httpPingPongMs, qstashPingPongMs } from "./support/floor";
import {
  type Flavor,
  measureNoopRun,
  type NoopRunFigures,
  type PooledFigures,
  pooled,
} from "./support/measure";
import { rawNoop, trackedNoop } from "./support/noop";
import { ratio, round } from "./support/numbers";
import { type Bench, type BenchOutcome, type Target, table } from "./support/report";
import { type BenchStack, startBenchStack } from "./support/stack";

const STEPS = 50;
const RUNS_PER_FLAVOR = 5;
const FLOOR_HOPS = 100;
/** Modelled network time added to each app request, for the second comparison (same region, assumed). */
const LATENCY = { redisMs: 2, qstashMs: 5 };

export const overheadBench: Bench = {
  name: "overhead",
  title: "Step overhead (50-step no-op workflow)",
  method:
    `A ${STEPS}-step no-op workflow, ${RUNS_PER_FLAVOR} runs each through Overtime (tracking on) and through the raw ` +
    "`@upstash/workflow` `serve` (no tracking), alternating, on one QStash stand-in + Redis in one process " +
    "(one warm-up run each first, not counted). Time per step = gap between two consecutive steps running " +
    "(publish → delivery → replay → next step), median over all gaps. Floors in the same run: a message " +
    `bounced ${FLOOR_HOPS} times between two local servers through the QStash stand-in (publish, then answer), ` +
    "and plain node:http POSTs between them. BullMQ: the same steps as one job on the same redis-server, " +
    "`job.updateData` after each step. Then the same comparison with modelled network latency: every request " +
    `the app sends is held back ${LATENCY.redisMs} ms (Redis REST) or ${LATENCY.qstashMs} ms (QStash) before it ` +
    "leaves (assumed same-region figures, not measured here), to show where tracking sits on a step's critical path.",
  run: runOverhead,
};

async function runOverhead(): Promise<BenchOutcome> {
  const stack = await startBenchStack({ tracked: [trackedNoop], raw: { noop: rawNoop } });
  try {
    await measureNoopRun(stack, "raw", 5);
    await measureNoopRun(stack, "tracked", 5);
    const runs = await alternatingRuns(stack);
    const raw = pooled(runs.raw);
    const tracked = pooled(runs.tracked);
    const qstashFloor = await qstashPingPongMs(stack.dev.env, FLOOR_HOPS);
    const httpFloor = await httpPingPongMs(FLOOR_HOPS);
    const bullmq = await bullmqMedianStepMs(stack.dev.env.REDIS_URL, STEPS, RUNS_PER_FLAVOR);
    stack.meter.addLatency(stack.dev.env.UPSTASH_REDIS_REST_URL, LATENCY.redisMs);
    stack.meter.addLatency(stack.dev.env.QSTASH_URL, LATENCY.qstashMs);
    const delayed = await alternatingRuns(stack);
    const withLatency = { raw: pooled(delayed.raw), tracked: pooled(delayed.tracked) };
    return outcome({ raw, tracked, qstashFloor, httpFloor, bullmq, withLatency });
  } finally {
    await stack.stop();
  }
}

async function alternatingRuns(stack: BenchStack): Promise<Record<Flavor, NoopRunFigures[]>> {
  const runs: Record<Flavor, NoopRunFigures[]> = { raw: [], tracked: [] };
  for (let i = 0; i < RUNS_PER_FLAVOR; i++) {
    runs.raw.push(await measureNoopRun(stack, "raw", STEPS));
    runs.tracked.push(await measureNoopRun(stack, "tracked", STEPS));
  }
  return runs;
}

interface OverheadFigures {
  raw: PooledFigures;
  tracked: PooledFigures;
  qstashFloor: number;
  httpFloor: number;
  bullmq: number | string;
  /** The same two flavors with LATENCY added to each app request. */
  withLatency: { raw: PooledFigures; tracked: PooledFigures };
}

function outcome(f: OverheadFigures): BenchOutcome {
  const trackingOverhead = f.tracked.medianStepMs / f.raw.medianStepMs - 1;
  const bullmq = typeof f.bullmq === "number" ? `${round(f.bullmq, 3)}` : f.bullmq;
  const rows: Array<Array<string | number>> = [
    row("Overtime (tracking)", f.tracked.medianStepMs, f),
    row("raw @upstash/workflow", f.raw.medianStepMs, f),
    row("floor: publish + delivery via QStash stand-in", f.qstashFloor, f),
    row("floor: plain node:http ping-pong", f.httpFloor, f),
    typeof f.bullmq === "number"
      ? row("BullMQ job, updateData per step", f.bullmq, f)
      : ["BullMQ", bullmq, "-", "-"],
  ];
  const latencyLabel = `Redis +${LATENCY.redisMs} ms, QStash +${LATENCY.qstashMs} ms per request`;
  const delayedRaw = f.withLatency.raw.medianStepMs;
  const latencyRows = [
    [
      `Overtime (tracking), ${latencyLabel}`,
      fmt(f.withLatency.tracked.medianStepMs),
      ratio(f.withLatency.tracked.medianStepMs, delayedRaw),
      "-",
    ],
    [`raw @upstash/workflow, ${latencyLabel}`, fmt(delayedRaw), 1, "-"],
  ];
  rows.push(...latencyRows);
  const breakdown = table(
    ["per step (means)", "Overtime", "raw"],
    [
      [
        "app's own time (busy, no request in flight: SDK + Overtime code) per invocation, ms",
        fmt(f.tracked.appOwnMsPerInvocation),
        fmt(f.raw.appOwnMsPerInvocation),
      ],
      [
        "Redis REST requests in flight per invocation, ms",
        fmt(f.tracked.redisCallMsPerInvocation),
        fmt(f.raw.redisCallMsPerInvocation),
      ],
      [
        "QStash publish in flight per invocation, ms",
        fmt(f.tracked.qstashCallMsPerInvocation),
        fmt(f.raw.qstashCallMsPerInvocation),
      ],
      [
        "QStash stand-in share (publish + delivery) per step, ms",
        fmt(f.tracked.qstashShareMsPerStep),
        fmt(f.raw.qstashShareMsPerStep),
      ],
      ["invocations per run", f.tracked.invocationsPerRun, f.raw.invocationsPerRun],
      ["QStash messages published per run", f.tracked.qstashPublishedPerRun, f.raw.qstashPublishedPerRun],
      [
        "Redis REST requests per run (of which at start)",
        `${f.tracked.redisRequestsPerRun} (${f.tracked.redisRequestsAtStartPerRun})`,
        `${f.raw.redisRequestsPerRun}`,
      ],
      ["Redis commands per run", f.tracked.redisCommandsPerRun, f.raw.redisCommandsPerRun],
    ],
  );
  const delayedOverhead = f.withLatency.tracked.medianStepMs / f.withLatency.raw.medianStepMs - 1;
  return {
    figures: {
      ...f,
      trackingOverhead: round(trackingOverhead, 3),
      trackingOverheadWithLatency: round(delayedOverhead, 3),
    },
    markdown: [table(["", "median ms / step", "× raw workflow", "× QStash floor"], rows), breakdown],
    targets: targets(f, trackingOverhead, delayedOverhead),
  };
}

function row(label: string, ms: number, f: OverheadFigures): Array<string | number> {
  return [label, fmt(ms), ratio(ms, f.raw.medianStepMs), ratio(ms, f.qstashFloor)];
}

const fmt = (ms: number) => round(ms, 2);

function targets(f: OverheadFigures, trackingOverhead: number, delayedOverhead: number): Target[] {
  const share = f.raw.qstashShareMsPerStep / f.qstashFloor;
  const trackingRequests = f.tracked.redisRequestsPerRun - f.tracked.redisRequestsAtStartPerRun;
  const perInvocation = trackingRequests / f.tracked.invocationsPerRun;
  const extraMessages = f.tracked.qstashPublishedPerRun - f.raw.qstashPublishedPerRun;
  return [
    {
      target: "Overtime's tracking adds ≤ 15% to the time per step of the same raw workflow",
      measured: `+${round(trackingOverhead * 100, 1)}% (${fmt(f.tracked.medianStepMs)} vs ${fmt(f.raw.medianStepMs)} ms)`,
      met: trackingOverhead <= 0.15,
      explanation:
        trackingOverhead <= 0.15
          ? undefined
          : "Tracking sends one Redis REST pipeline per invocation and does not wait for it before the step: it travels while the step runs and the SDK publishes to QStash, and only the response waits for it. " +
            `On loopback, with the app and the stand-ins sharing this machine's CPUs, what remains is CPU: a ~1 ms REST round trip (fetch, the stand-in, redis-server) beside a ${fmt(f.raw.medianStepMs)} ms raw step. ` +
            `With modelled same-region latency (Redis +${LATENCY.redisMs} ms, QStash +${LATENCY.qstashMs} ms per request) the Redis call is hidden behind the publish: +${round(delayedOverhead * 100, 1)}% (${fmt(f.withLatency.tracked.medianStepMs)} vs ${fmt(f.withLatency.raw.medianStepMs)} ms).`,
    },
    {
      target: "The QStash stand-in's share of a step within 2× of the floor (publish + delivery ping-pong)",
      measured: `${fmt(f.raw.qstashShareMsPerStep)} ms vs floor ${fmt(f.qstashFloor)} ms = ${round(share, 2)}×`,
      met: share <= 2,
      explanation:
        share <= 2
          ? undefined
          : "A workflow step's publish is a batch with workflow headers, and the stand-in keeps workflow-run records and logs per message; the floor publishes a bare message.",
    },
    {
      target: "No bookkeeping messages beyond the workflow's own steps",
      measured: `${f.tracked.qstashPublishedPerRun} messages per Overtime run vs ${f.raw.qstashPublishedPerRun} per raw run (${STEPS} steps + trigger)`,
      met: extraMessages <= 0,
      explanation: extraMessages <= 0 ? undefined : `${extraMessages} extra messages per run.`,
    },
    {
      target: "Redis ≤ 1 HTTP request per step for tracking",
      measured: `${trackingRequests} requests for ${f.tracked.invocationsPerRun} invocations (${round(perInvocation, 2)} per invocation; +${f.tracked.redisRequestsAtStartPerRun} when the run is started)`,
      met: perInvocation <= 1,
    },
    {
      target: "BullMQ comparison measured",
      measured: bullmqMeasured(f.bullmq),
      met: typeof f.bullmq === "number" ? true : "not measured",
      explanation: f.bullmq === BULLMQ_MISSING ? "bullmq is listed in bench/NEEDS_PACKAGES." : undefined,
    },
  ];
}

function bullmqMeasured(bullmq: number | string): string {
  return typeof bullmq === "number" ? `${round(bullmq, 3)} ms per step` : bullmq;
}
