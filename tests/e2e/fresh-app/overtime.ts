import { Redis } from "@upstash/redis";
import { createOvertime, type Overtime } from "overtime";
import { workflows } from "./workflows";

let instance: Overtime | undefined;

export function overtime(): Overtime {
  instance ??= createOvertime({
    workflows,
    redis: Redis.fromEnv(),
    qstash: { url: process.env.QSTASH_URL, token: process.env.QSTASH_TOKEN ?? "" },
    signingKeys: {
      current: process.env.QSTASH_CURRENT_SIGNING_KEY ?? "",
      next: process.env.QSTASH_NEXT_SIGNING_KEY ?? "",
    },
    baseUrl: process.env.UPSTASH_WORKFLOW_URL ?? "http://127.0.0.1:3000",
    trigger: { secrets: { default: process.env.OVERTIME_TRIGGER_SECRET ?? "" } },
  });
  return instance;
}
