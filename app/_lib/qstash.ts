import { Client } from "@upstash/qstash";
import { type ScheduleScope, scopeFromEnv } from "overtime";
import { env } from "@/app/_lib/env";

/** The QStash client and schedule scope the schedules page and its actions use (same as `schedules:sync`). */
export function scheduleContext(): { qstash: Client; scope: ScheduleScope } {
  const config = env();
  return {
    qstash: new Client({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN }),
    scope: scopeFromEnv(config, process.env.PORT),
  };
}
