import { usageDelta } from "./fetch-meter";
import { forgetMarks, marksOf } from "./noop";
import { intervals, median, pollUntil, sum } from "./numbers";
import type { BenchStack } from "./stack";

export type Flavor = "tracked" | "raw";

/** One no-op run's figures; `*PerStep` are means over the run, `medianStepMs` the median gap. */
export interface NoopRunFigures {
  flavor: Flavor;
  steps: number;
  stepGapsMs: number[];
  medianStepMs: number;
  meanStepMs: number;
  invocations: number;
  bytesDelivered: number;
  /** Time the app was handling a request with nothing in flight to QStash or Redis (SDK + Overtime code). */
  appOwnMsPerInvocation: number;
  /** Time QStash requests (publish calls) were in flight, per invocation. */
  qstashCallMsPerInvocation: number;
  /** Time Redis REST requests were in flight, per invocation (may overlap the QStash ones). */
  redisCallMsPerInvocation: number;
  /** Mean step gap minus the time the app was busy, plus its publish calls: publish + delivery via the stand-in. */
  qstashShareMsPerStep: number;
  qstashPublished: number;
  qstashByKind: Record<string, number>;
  redisRequests: number;
  redisCommands: number;
  /** Redis REST requests made while starting the run (trigger writes), included in redisRequests. */
  redisRequestsAtStart: number;
}

/** Runs the no-op workflow once (tracked or raw) and waits until the stack is idle again. */
export async function measureNoopRun(
  stack: BenchStack,
  flavor: Flavor,
  steps: number,
): Promise<NoopRunFigures> {
  await stack.waitForIdle();
  const before = await snapshot(stack);
  const runId =
    flavor === "tracked"
      ? await stack.startTracked("noop", { steps })
      : await stack.startRaw("noop", { steps });
  const atStart = await stack.redisStats();
  const done = await pollUntil(async () => marksOf(runId).length >= steps, 60_000 + steps * 2_000);
  if (!done)
    throw new Error(`${flavor} run of ${steps} steps did not finish (${marksOf(runId).length} steps ran)`);
  await stack.waitForIdle();
  const after = await snapshot(stack);
  const gaps = intervals(marksOf(runId));
  forgetMarks(runId);
  return figuresOf(flavor, steps, gaps, before, after, atStart.requests - before.redis.requests);
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

async function snapshot(stack: BenchStack) {
  const [qstash, redis] = await Promise.all([stack.qstashStats(), stack.redisStats()]);
  return {
    qstash,
    redis,
    app: stack.totals(),
    qstashCalls: stack.meter.of(stack.dev.env.QSTASH_URL),
    redisCalls: stack.meter.of(stack.dev.env.UPSTASH_REDIS_REST_URL),
    anyCallMs: stack.meter.inFlight.ms,
  };
}

function figuresOf(
  flavor: Flavor,
  steps: number,
  gaps: number[],
  before: Snapshot,
  after: Snapshot,
  redisRequestsAtStart: number,
): NoopRunFigures {
  const invocations = after.app.invocations - before.app.invocations;
  const busyMs = after.app.busyMs - before.app.busyMs;
  const qstashCalls = usageDelta(after.qstashCalls, before.qstashCalls);
  const redisCalls = usageDelta(after.redisCalls, before.redisCalls);
  const perInvocation = (ms: number) => ms / Math.max(1, invocations);
  const meanStepMs = sum(gaps) / Math.max(1, gaps.length);
  const appOwn = perInvocation(busyMs - (after.anyCallMs - before.anyCallMs));
  const byKind = Object.fromEntries(
    Object.entries(after.qstash.byKind).map(([kind, count]) => [
      kind,
      count - (before.qstash.byKind[kind] ?? 0),
    ]),
  );
  return {
    flavor,
    steps,
    stepGapsMs: gaps,
    medianStepMs: median(gaps),
    meanStepMs,
    invocations,
    bytesDelivered: after.app.bytesDelivered - before.app.bytesDelivered,
    appOwnMsPerInvocation: appOwn,
    qstashCallMsPerInvocation: perInvocation(qstashCalls.ms),
    redisCallMsPerInvocation: perInvocation(redisCalls.ms),
    qstashShareMsPerStep: meanStepMs - perInvocation(busyMs) + perInvocation(qstashCalls.ms),
    qstashPublished: after.qstash.published - before.qstash.published,
    qstashByKind: byKind,
    redisRequests: after.redis.requests - before.redis.requests,
    redisCommands: after.redis.commands - before.redis.commands,
    redisRequestsAtStart,
  };
}

/** Pools several runs of one flavor: medians over all step gaps, means of the rest. */
export function pooled(runs: readonly NoopRunFigures[]) {
  const mean = (pick: (run: NoopRunFigures) => number) => sum(runs.map(pick)) / Math.max(1, runs.length);
  return {
    runs: runs.length,
    steps: runs[0]?.steps ?? 0,
    medianStepMs: median(runs.flatMap((run) => run.stepGapsMs)),
    meanStepMs: mean((run) => run.meanStepMs),
    appOwnMsPerInvocation: mean((run) => run.appOwnMsPerInvocation),
    qstashCallMsPerInvocation: mean((run) => run.qstashCallMsPerInvocation),
    redisCallMsPerInvocation: mean((run) => run.redisCallMsPerInvocation),
    qstashShareMsPerStep: mean((run) => run.qstashShareMsPerStep),
    invocationsPerRun: mean((run) => run.invocations),
    qstashPublishedPerRun: mean((run) => run.qstashPublished),
    redisRequestsPerRun: mean((run) => run.redisRequests),
    redisCommandsPerRun: mean((run) => run.redisCommands),
    redisRequestsAtStartPerRun: mean((run) => run.redisRequestsAtStart),
    bytesDeliveredPerRun: mean((run) => run.bytesDelivered),
  };
}

export type PooledFigures = ReturnType<typeof pooled>;
