import { createOvertime, deliveryHeadersFor, type Overtime } from "overtime";
import { env, publicBaseUrl } from "@/app/_lib/env";
import { aiConfigFromEnv } from "@/app/_lib/models";
import { redis } from "@/app/_lib/redis";
import { workflows } from "@/workflows";

let instance: { overtime: Overtime } | undefined;

/** The app's Overtime, built once per server instance from the parsed environment. */
export function app(): { overtime: Overtime } {
  if (instance) return instance;
  const config = env();
  const overtime = createOvertime({
    workflows,
    redis: redis(),
    qstash: { url: config.QSTASH_URL, token: config.QSTASH_TOKEN },
    signingKeys: { current: config.QSTASH_CURRENT_SIGNING_KEY, next: config.QSTASH_NEXT_SIGNING_KEY },
    baseUrl: publicBaseUrl(config),
    retentionDays: config.OVERTIME_RETENTION_DAYS,
    trigger: {
      secrets: config.OVERTIME_TRIGGER_SECRET ? { default: config.OVERTIME_TRIGGER_SECRET } : {},
      rateLimit: { requests: config.OVERTIME_TRIGGER_RATE_LIMIT },
    },
    ai: aiConfigFromEnv(config),
    deliveryHeaders: deliveryHeadersFor(config.VERCEL_AUTOMATION_BYPASS_SECRET),
  });
  instance = { overtime };
  return instance;
}
