import { Client } from "@upstash/qstash";
import { deliveryHeadersFor, type ScheduleScope, scopeFromEnv } from "overtime";
import { env } from "@/app/_lib/env";

/** The QStash client, schedule scope and firing headers the schedules page and its actions use (as `schedules:sync`). */
export function scheduleContext(): {
  qstash: Client;
  scope: ScheduleScope;
  deliveryHeaders: Record<string, string>;
} {
  const config = env();
  return {
    qstash: new Client({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN }),
    scope: scopeFromEnv(config, process.env.PORT),
    deliveryHeaders: deliveryHeadersFor(config.VERCEL_AUTOMATION_BYPASS_SECRET),
  };
}
