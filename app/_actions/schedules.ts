"use server";

import { revalidatePath } from "next/cache";
import { assertUrlSafeId, ScheduleSyncError, syncSchedules } from "overtime";
import { scheduleContext } from "@/app/_lib/qstash";
import { type ActionResult, actionResult, loadOvertime } from "@/app/_lib/server";

async function changeSchedule(work: () => Promise<void>): Promise<ActionResult> {
  const result = await actionResult(async () => {
    try {
      await work();
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    return { ok: true };
  });
  revalidatePath("/schedules");
  // A failure surfaces through the page's error boundary rather than vanishing.
  if (!result.ok) throw new Error(result.error);
  return result;
}

export async function pauseScheduleAction(scheduleId: string): Promise<void> {
  await changeSchedule(() =>
    scheduleContext().qstash.schedules.pause({ schedule: assertUrlSafeId("scheduleId", scheduleId) }),
  );
}

export async function resumeScheduleAction(scheduleId: string): Promise<void> {
  await changeSchedule(() =>
    scheduleContext().qstash.schedules.resume({ schedule: assertUrlSafeId("scheduleId", scheduleId) }),
  );
}

/** What `npm run schedules:sync` does, from the page. */
export async function applySyncAction(): Promise<void> {
  await changeSchedule(async () => {
    const loaded = loadOvertime();
    if (!loaded.ok) throw loaded.problem;
    const { qstash, scope, deliveryHeaders } = scheduleContext();
    try {
      await syncSchedules({ workflows: loaded.overtime.registry, qstash, scope, deliveryHeaders });
    } catch (error) {
      if (error instanceof ScheduleSyncError) throw new Error(error.message);
      throw error;
    }
  });
}
