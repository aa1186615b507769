import { env } from "@/lib/env";
import { createRouteHandlers, type RouteHandlers } from "@/lib/http/handlers";
import { createOvertime, type Overtime } from "@/lib/overtime";
import { redis } from "@/lib/redis";
import { workflows } from "@/workflows";

let instance: { overtime: Overtime; handlers: RouteHandlers } | undefined;

/** The app's Overtime, built once per server instance from the parsed environment. */
export function app(): { overtime: Overtime; handlers: RouteHandlers } {
  if (instance) return instance;
  const config = env();
  const overtime = createOvertime({
    workflows,
    redis: redis(),
    qstash: { url: config.QSTASH_URL, token: config.QSTASH_TOKEN },
    signingKeys: { current: config.QSTASH_CURRENT_SIGNING_KEY, next: config.QSTASH_NEXT_SIGNING_KEY },
    baseUrl: publicBaseUrl(config.UPSTASH_WORKFLOW_URL, config.VERCEL_URL),
    retentionDays: config.OVERTIME_RETENTION_DAYS,
    trigger: {
      secrets: config.OVERTIME_TRIGGER_SECRET ? { default: config.OVERTIME_TRIGGER_SECRET } : {},
      rateLimit: { requests: config.OVERTIME_TRIGGER_RATE_LIMIT },
    },
  });
  instance = { overtime, handlers: createRouteHandlers(overtime) };
  return instance;
}

function publicBaseUrl(explicit: string | undefined, vercelHost: string | undefined): string {
  if (explicit) return explicit;
  if (vercelHost) return `https://${vercelHost}`;
  return `http://127.0.0.1:${process.env.PORT ?? 3000}`;
}
