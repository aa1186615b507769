/**
 * Payload benchmark: bytes QStash delivers per run, by number of 100 KB steps, with and without the
 * claim check. Part of `npm run bench` (`--only=payload`); still runnable alone:
 *
 *   node --import tsx bench/claim-check.ts
 */
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { createTestStack } from "../dev/testing";
import { incompressibleText } from "../dev/testing/fixtures";
import { defineWorkflow } from "../lib/workflow/define";
import { FetchMeter, usageDelta } from "./support/fetch-meter";
import { ratio, round } from "./support/numbers";
import { type Bench, type BenchOutcome, table } from "./support/report";

const STEP_BYTES = 100_000;
const STEP_COUNTS = [10, 50, 100, 200];

const bulk = defineWorkflow({
  name: "bulk",
  input: z.object({ steps: z.number().int(), stepBytes: z.number().int(), bigBytes: z.number().int() }),
  async handler({ context, input }) {
    let total = 0;
    for (let i = 1; i <= input.steps; i++) {
      total += (await context.run(`chunk-${i}`, () => incompressibleText(`chunk-${i}`, input.stepBytes)))
        .length;
    }
    if (input.bigBytes > 0)
      total += (await context.run("big", () => incompressibleText("big", input.bigBytes))).length;
    return { total };
  },
});

export interface PayloadFigures {
  claimCheck: boolean;
  steps: number;
  status: string;
  /** Request bodies QStash delivered to the workflow endpoint. */
  bytesDelivered: number;
  /** History the SDK fetched from QStash itself when a body was too large to carry it. */
  bytesFetched: number;
  invocations: number;
  seconds: number;
}

export async function measurePayload(
  claimCheck: boolean,
  steps: number,
  bigBytes = 0,
): Promise<PayloadFigures> {
  const t = await createTestStack({
    workflows: [bulk],
    qstashMaxMessageBytes: 1_000_000,
    ai: { claimCheck: claimCheck ? {} : false },
  });
  const meter = new FetchMeter();
  meter.install();
  try {
    const started = performance.now();
    const before = { delivered: t.bytesDelivered, fetched: meter.of(t.dev.env.QSTASH_URL) };
    const runId = await t.trigger("bulk", { steps, stepBytes: STEP_BYTES, bigBytes });
    const run = await t.waitForRun(runId, { timeoutMs: 600_000 });
    return {
      claimCheck,
      steps,
      status: run.status,
      bytesDelivered: t.bytesDelivered - before.delivered,
      bytesFetched: usageDelta(meter.of(t.dev.env.QSTASH_URL), before.fetched).responseBytes,
      invocations: t.invocations,
      seconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    meter.uninstall();
    await t.stop();
  }
}

export const claimCheckBench: Bench = {
  name: "payload",
  title: "Payload: bytes per run with and without the claim check",
  method:
    `A workflow of N steps that each return ${STEP_BYTES / 1000} KB, QStash message limit 1 MB (free tier). ` +
    "Bytes = request bodies QStash delivered to the endpoint over the whole run, plus history the SDK " +
    "fetched from QStash itself when it was too large to deliver (response bytes seen by the app). " +
    "Without the claim check the volume is quadratic: the 200-step run moves gigabytes and takes minutes.",
  run: runPayload,
};

async function runPayload(): Promise<BenchOutcome> {
  const runs: PayloadFigures[] = [];
  for (const steps of STEP_COUNTS) {
    runs.push(await measurePayload(true, steps));
    runs.push(await measurePayload(false, steps));
  }
  return payloadOutcome(runs);
}

const mb = (bytes: number) => round(bytes / 1_000_000, 2);

function payloadOutcome(runs: readonly PayloadFigures[]): BenchOutcome {
  const rows = STEP_COUNTS.map((steps) => {
    const on = runs.find((r) => r.claimCheck && r.steps === steps);
    const off = runs.find((r) => !r.claimCheck && r.steps === steps);
    return [
      steps,
      on ? `${mb(on.bytesDelivered + on.bytesFetched)} MB (${on.status}, ${on.seconds} s)` : "-",
      on ? `${round((on.bytesDelivered + on.bytesFetched) / steps / 1000, 1)} KB` : "-",
      off
        ? `${mb(off.bytesDelivered + off.bytesFetched)} MB (${mb(off.bytesFetched)} fetched; ${off.status}, ${off.seconds} s)`
        : "-",
      on && off
        ? `${round((off.bytesDelivered + off.bytesFetched) / (on.bytesDelivered + on.bytesFetched), 0)}×`
        : "-",
    ];
  });
  const on = runs.filter((r) => r.claimCheck);
  const first = on[0];
  const last = on[on.length - 1];
  const perStepGrowth =
    first && last
      ? ratio(
          (last.bytesDelivered + last.bytesFetched) / last.steps,
          (first.bytesDelivered + first.bytesFetched) / first.steps,
        )
      : Number.NaN;
  const linear = perStepGrowth <= 1.5;
  return {
    figures: { stepBytes: STEP_BYTES, runs, perStepBytesGrowth: perStepGrowth },
    markdown: [
      table(["steps", "claim check: total", "per step", "no claim check: total", "without ÷ with"], rows),
    ],
    targets: [
      {
        target: "Bytes delivered linear in steps with the claim check",
        measured: `bytes per step ×${perStepGrowth} from ${first?.steps} to ${last?.steps} steps`,
        met: linear,
        explanation: linear
          ? undefined
          : "Values stay in Redis, but every invocation still replays the whole history, which carries one ticket per earlier step (~360 B): the total is quadratic with a small constant (≈ steps² × 180 B), far below the values' own size without the claim check.",
      },
    ],
  };
}

async function main(): Promise<void> {
  const outcome = await runPayload();
  for (const block of outcome.markdown) console.log(`${block}\n`);
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
