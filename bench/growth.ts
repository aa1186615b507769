import { measureNoopRun, type NoopRunFigures } from "./support/measure";
import { rawNoop, trackedNoop } from "./support/noop";
import { median, ratio, round } from "./support/numbers";
import { type Bench, type BenchOutcome, table } from "./support/report";
import { startBenchStack } from "./support/stack";

const LENGTHS = [10, 200] as const;

export const growthBench: Bench = {
  name: "growth",
  title: "Growth: time per step at 10 vs 200 steps (replay cost)",
  method:
    "The no-op workflow at 10 and 200 steps, once each through Overtime and the raw SDK. Every invocation " +
    "replays the run's history, so a step's cost grows with the steps before it; the table shows the median " +
    "step, the last 10 steps of the run, and the bytes QStash delivers per step.",
  run: runGrowth,
};

async function runGrowth(): Promise<BenchOutcome> {
  const stack = await startBenchStack({ tracked: [trackedNoop], raw: { noop: rawNoop } });
  try {
    await measureNoopRun(stack, "raw", 5);
    await measureNoopRun(stack, "tracked", 5);
    const runs: NoopRunFigures[] = [];
    for (const steps of LENGTHS) {
      runs.push(await measureNoopRun(stack, "raw", steps));
      runs.push(await measureNoopRun(stack, "tracked", steps));
    }
    return outcome(runs);
  } finally {
    await stack.stop();
  }
}

function outcome(runs: readonly NoopRunFigures[]): BenchOutcome {
  const lastTen = (run: NoopRunFigures) => median(run.stepGapsMs.slice(-10));
  const rows = runs.map((run) => [
    run.flavor === "tracked" ? "Overtime" : "raw",
    run.steps,
    round(run.medianStepMs, 2),
    round(lastTen(run), 2),
    Math.round(run.bytesDelivered / run.invocations),
  ]);
  const growth = (flavor: NoopRunFigures["flavor"]) => {
    const [short, long] = LENGTHS.map((steps) => runs.find((r) => r.flavor === flavor && r.steps === steps));
    return short && long ? ratio(long.medianStepMs, short.medianStepMs) : Number.NaN;
  };
  const figures = {
    runs: runs.map((run) => {
      const { stepGapsMs: _gaps, ...rest } = run;
      return { ...rest, lastTenMedianMs: round(lastTen(run), 2) };
    }),
    medianStepGrowth200vs10: { tracked: growth("tracked"), raw: growth("raw") },
  };
  return {
    figures,
    markdown: [
      table(
        ["flavor", "steps", "median ms / step", "median of last 10 steps", "bytes delivered / invocation"],
        rows,
      ),
      `Median time per step, 200 vs 10 steps: Overtime ×${growth("tracked")}, raw ×${growth("raw")}.`,
    ],
    targets: [],
  };
}
