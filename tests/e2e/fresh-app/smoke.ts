import { createTestStack } from "overtime-dev/testing";
import { greet } from "./workflows";

const t = await createTestStack({ workflows: [greet] });
try {
  const runId = await t.trigger("greet", { name: "Bo" });
  await t.waitForRun(runId, { status: "sleeping" });
  await t.advanceTime(3_601_000);
  await t.waitForRun(runId, { status: "waiting" });
  await t.notify("reply-Bo", { ok: true });
  const run = await t.waitForRun(runId);
  if (run.status !== "succeeded") throw new Error(`run ended ${run.status}`);
  console.log(`1 passed, 0 failed: ${run.output}`);
} finally {
  await t.stop();
}
