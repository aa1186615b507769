/**
 * `npm run seed`: loads the reference series into the Upstash Redis named by UPSTASH_REDIS_REST_URL /
 * UPSTASH_REDIS_REST_TOKEN (read from the environment, or from .env.local as `npm run dev:stack` writes it).
 */
import { existsSync } from "node:fs";
import { Redis } from "@upstash/redis";
import { z } from "zod";
import { describeVariables } from "../env";
import { RedisStreamStore } from "./redis-store";
import { seedStreams } from "./seed";

// Only the two Redis variables: seeding needs neither QStash nor OpenAI, so `env()` would ask too much.
const REDIS_VARIABLES = ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"] as const;
const SeedEnv = z.object({ UPSTASH_REDIS_REST_URL: z.url(), UPSTASH_REDIS_REST_TOKEN: z.string().min(1) });

async function main(): Promise<void> {
  if (existsSync(".env.local")) process.loadEnvFile(".env.local");
  const parsed = SeedEnv.safeParse(process.env);
  if (!parsed.success) fail(missingVariables(parsed.error));
  const redis = new Redis({
    url: parsed.data.UPSTASH_REDIS_REST_URL,
    token: parsed.data.UPSTASH_REDIS_REST_TOKEN,
  });
  const report = await seedStreams(new RedisStreamStore(redis));
  console.log(
    `seeded ${report.streams} streams: ${report.added} points added, ${report.replaced} replaced` +
      (report.added + report.replaced === 0 ? " (already up to date)" : ""),
  );
}

function missingVariables(error: z.ZodError): string {
  const sources = new Map(describeVariables().map(({ name, source }) => [name, source]));
  const names = new Set(error.issues.map((issue) => String(issue.path[0])));
  return REDIS_VARIABLES.filter((name) => names.has(name))
    .map((name) => `${name} is missing or invalid. Where it comes from: ${sources.get(name)}.`)
    .join("\n");
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
