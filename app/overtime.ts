import { aiConfigFromEnv } from "@/lib/ai/models";
import { env, publicBaseUrl } from "@/lib/env";
import { createRouter, type OvertimeRouter } from "@/lib/http/router";
import { createOvertime, type Overtime } from "@/lib/overtime";
import { redis } from "@/lib/redis";
import { deliveryHeadersFor } from "@/lib/vercel";
import { workflows } from "@/workflows";

let instance: { overtime: Overtime; router: OvertimeRouter } | undefined;

/** The app's Overtime, built once per server instance from the parsed environment. */
export function app(): { overtime: Overtime; router: OvertimeRouter } {
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
  instance = { overtime, router: createRouter(overtime) };
  return instance;
}
