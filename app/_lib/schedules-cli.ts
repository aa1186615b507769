/**
 * `npm run schedules:sync [-- --dry-run]`: reconciles the workflows' declared schedules with QStash for
 * this environment and base URL (see lib/schedules/scope.ts). Reads QSTASH_URL / QSTASH_TOKEN, the scope
 * (OVERTIME_ENV / VERCEL_ENV, UPSTASH_WORKFLOW_URL / VERCEL_URL) from the environment or `.env.local`.
 * Exit code: 0 in sync (or dry run), 1 on any error, 2 on bad arguments.
 */
import { existsSync } from "node:fs";
import { Client } from "@upstash/qstash";
import { formatPlan, ScheduleSyncError, scopeFromEnv, syncSchedules } from "overtime";
import { workflows } from "../../workflows";
import { parseEnvSubset } from "./env";

const USAGE = "Usage: npm run schedules:sync [-- --dry-run] [--prune-other-urls]";
const VARIABLES = [
  "QSTASH_URL",
  "QSTASH_TOKEN",
  "UPSTASH_WORKFLOW_URL",
  "VERCEL_URL",
  "VERCEL_ENV",
  "OVERTIME_ENV",
] as const;

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== "--dry-run" && arg !== "--prune-other-urls");
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(" ")}\n${USAGE}`);
    return 2;
  }
  // `npm run schedules:sync --dry-run` hands the flag to npm, which passes it on as npm_config_dry_run.
  const dryRun = args.includes("--dry-run") || process.env.npm_config_dry_run === "true";
  const pruneOtherUrls =
    args.includes("--prune-other-urls") || process.env.npm_config_prune_other_urls === "true";
  for (const file of [".env.local", ".env"]) if (existsSync(file)) process.loadEnvFile(file);
  const config = parseEnvSubset(VARIABLES);
  const scope = scopeFromEnv(config, process.env.PORT);
  const qstash = new Client({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN });
  try {
    const { plan } = await syncSchedules({ workflows, qstash, scope, dryRun, pruneOtherUrls });
    console.log(formatPlan(plan, { dryRun }));
    return 0;
  } catch (error) {
    if (error instanceof ScheduleSyncError) console.log(formatPlan(error.plan, { dryRun }));
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const named = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(`schedules:sync failed. ${named}`);
    process.exitCode = 1;
  },
);
