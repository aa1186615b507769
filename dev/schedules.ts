import { Client } from "@upstash/qstash";
import { type AnyWorkflow, type Registry, syncSchedules } from "overtime";
import type { DevStackEnv } from "./stack";

/**
 * Creates the workflows' cron schedules on the local QStash stand-in for a local app, as
 * `npm run schedules:sync` does for a deployment (scope `development` @ `appUrl`), so scheduled
 * workflows fire locally as they would deployed. Returns a one-line summary.
 */
export async function syncLocalSchedules(options: {
  env: Pick<DevStackEnv, "QSTASH_URL" | "QSTASH_TOKEN">;
  appUrl: string;
  workflows: Registry | readonly AnyWorkflow[];
}): Promise<string> {
  const qstash = new Client({ baseUrl: options.env.QSTASH_URL, token: options.env.QSTASH_TOKEN });
  const scope = { environment: "development", baseUrl: options.appUrl };
  const { plan } = await syncSchedules({ workflows: options.workflows, qstash, scope });
  const active = [
    ...plan.create,
    ...plan.update.map((u) => u.desired),
    ...plan.unchanged.map((u) => u.desired),
  ];
  const names = active.map((want) => `${want.workflow} (${want.request.cron})`).join(", ");
  const removed = plan.delete.length > 0 ? `; removed ${plan.delete.length} no longer declared` : "";
  return `schedules: ${active.length} on the local QStash${active.length > 0 ? `: ${names}` : ""}${removed}`;
}
