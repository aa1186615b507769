/**
 * Claim check benchmark: bytes QStash delivers per run, by number of 100 KB steps, with and without
 * the claim check, plus the issue's full run (200 × 100 KB + one 5 MB step) under a 1 MB message limit.
 *
 *   node --import tsx bench/claim-check.ts
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { createTestStack } from "../dev/testing";
import { defineWorkflow } from "../lib/workflow/define";

function blob(seed: string, bytes: number): string {
  const parts: string[] = [];
  let hash = seed;
  for (let length = 0; length < bytes; length += 64) {
    hash = createHash("sha256").update(hash).digest("hex");
    parts.push(hash);
  }
  return parts.join("").slice(0, bytes);
}

const bulk = defineWorkflow({
  name: "bulk",
  input: z.object({ steps: z.number().int(), stepBytes: z.number().int(), bigBytes: z.number().int() }),
  async handler({ context, input }) {
    let total = 0;
    for (let i = 1; i <= input.steps; i++) {
      total += (await context.run(`chunk-${i}`, () => blob(`chunk-${i}`, input.stepBytes))).length;
    }
    if (input.bigBytes > 0) total += (await context.run("big", () => blob("big", input.bigBytes))).length;
    return { total };
  },
});

async function measure(claimCheck: boolean, steps: number, bigBytes = 0) {
  const t = await createTestStack({
    workflows: [bulk],
    qstashMaxMessageBytes: 1_000_000,
    ai: { claimCheck: claimCheck ? {} : false },
  });
  try {
    const started = performance.now();
    const before = t.bytesDelivered;
    const runId = await t.trigger("bulk", { steps, stepBytes: 100_000, bigBytes });
    const run = await t.waitForRun(runId, { timeoutMs: claimCheck ? 600_000 : 60_000 });
    const seconds = (performance.now() - started) / 1000;
    return { status: run.status, bytes: t.bytesDelivered - before, invocations: t.invocations, seconds };
  } finally {
    await t.stop();
  }
}

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(2);

console.log("steps  claim-check: delivered MB (invocations, s)   no claim check: delivered MB");
for (const steps of [5, 10, 20, 40, 80]) {
  const on = await measure(true, steps);
  // Without it, histories over 3 MB are fetched lazily (outside these counts), so stop at 20 steps.
  const off = steps <= 20 ? await measure(false, steps) : undefined;
  console.log(
    `${String(steps).padStart(5)}  ${mb(on.bytes).padStart(8)} (${on.invocations}, ${on.seconds.toFixed(1)} s)` +
      `   ${off ? `${mb(off.bytes).padStart(8)} (${off.status})` : "       -"}`,
  );
}
const full = await measure(true, 200, 5_000_000);
console.log(
  `full run (200 × 100 KB + 5 MB, 1 MB message limit): ${full.status}, ${mb(full.bytes)} MB delivered, ` +
    `${full.invocations} invocations, ${full.seconds.toFixed(1)} s`,
);
// Without the claim check the 5 MB result alone is over the message limit (413 on every publish).
const bigOff = await measure(false, 0, 5_000_000).catch((error: Error) => ({ status: error.message }));
console.log(`one 5 MB step without the claim check: ${bigOff.status}`);
process.exit(0);
