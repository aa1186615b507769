"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { loadJeevesConfig, saveJeevesConfig } from "@/app/_lib/jeeves/config";
import { assertActionAllowed, loadOvertime } from "@/app/_lib/server";

function overtimeOrThrow() {
  const loaded = loadOvertime();
  if (!loaded.ok) throw loaded.problem;
  return loaded.overtime;
}

/** Starts a Jeeves run now (besides its schedule) and opens it. */
export async function runJeevesNowAction(): Promise<void> {
  await assertActionAllowed();
  const overtime = overtimeOrThrow();
  await overtime.limitCaller("dashboard");
  const { runId } = await overtime.start({
    workflow: "jeeves",
    input: {},
    source: "api",
    caller: "dashboard",
  });
  redirect(`/runs/${encodeURIComponent(runId)}`);
}

/** Turns the scheduled analysis on or off; a run while off ends at once with the reason. */
export async function setJeevesEnabledAction(enabled: boolean): Promise<void> {
  await assertActionAllowed();
  const redis = overtimeOrThrow().config.redis;
  const config = await loadJeevesConfig(redis);
  await saveJeevesConfig(redis, {
    ...config,
    enabled,
    disabledReason: enabled ? undefined : "Turned off from the dashboard.",
  });
  revalidatePath("/jeeves");
}
