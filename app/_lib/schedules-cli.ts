/**
 * `npm run schedules:sync [-- --dry-run] [--prune-other-urls]`: reconciles the workflows' declared
 * schedules with QStash for this environment and base URL (see lib/schedules/scope.ts). Reads QSTASH_URL /
 * QSTASH_TOKEN and the scope (OVERTIME_ENV / VERCEL_ENV, UPSTASH_WORKFLOW_URL / the Vercel URLs) from the
 * environment or `.env.local`; with neither, from a running `npm run dev` (lib/schedules/local-stack.ts).
 *
 * `--deploy` is the build step on Vercel (vercel.json's buildCommand): it syncs only when
 * `deployScheduleDecision` (lib/vercel.ts) says so, i.e. on production builds that have QStash
 * credentials, and otherwise prints why not and exits 0.
 *
 * Exit code: 0 in sync (or dry run, or skipped on deploy), 1 on any error, 2 on bad arguments.
 */
import { existsSync } from "node:fs";
import { Client } from "@upstash/qstash";
import {
  deliveryHeadersFor,
  deployScheduleDecision,
  formatPlan,
  localStackFile,
  readLocalStack,
  type ScheduleScope,
  ScheduleSyncError,
  scopeFromEnv,
  syncSchedules,
} from "overtime";
import { workflows } from "../../workflows";
import { parseEnvSubset } from "./env";

const USAGE = "Usage: npm run schedules:sync [-- --dry-run] [--prune-other-urls] [--deploy]";
const FLAGS = ["--dry-run", "--prune-other-urls", "--deploy"];
const SCOPE_VARIABLES = [
  "QSTASH_URL",
  "UPSTASH_WORKFLOW_URL",
  "VERCEL_URL",
  "VERCEL_PROJECT_PRODUCTION_URL",
  "VERCEL_BRANCH_URL",
  "VERCEL_ENV",
  "OVERTIME_ENV",
  "OVERTIME_DEPLOY_SCHEDULES",
  "VERCEL_AUTOMATION_BYPASS_SECRET",
] as const;

interface Target {
  qstash: Client;
  scope: ScheduleScope;
  deliveryHeaders: Record<string, string>;
  pruneOtherUrls: boolean;
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => !FLAGS.includes(arg));
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(" ")}\n${USAGE}`);
    return 2;
  }
  // `npm run schedules:sync --dry-run` hands the flag to npm, which passes it on as npm_config_dry_run.
  const dryRun = args.includes("--dry-run") || process.env.npm_config_dry_run === "true";
  const pruneOtherUrls =
    args.includes("--prune-other-urls") || process.env.npm_config_prune_other_urls === "true";
  const target = args.includes("--deploy") ? deployTarget() : localTarget(pruneOtherUrls);
  if (!target) return 0;
  try {
    const { plan } = await syncSchedules({ workflows, dryRun, ...target });
    console.log(formatPlan(plan, { dryRun }));
    return 0;
  } catch (error) {
    if (error instanceof ScheduleSyncError) console.log(formatPlan(error.plan, { dryRun }));
    throw error;
  }
}

/** A sync by hand: the environment (or .env.local), else the running local stack. */
function localTarget(pruneOtherUrls: boolean): Target {
  for (const file of [".env.local", ".env"]) if (existsSync(file)) process.loadEnvFile(file);
  const config = parseEnvSubset(SCOPE_VARIABLES);
  const deliveryHeaders = deliveryHeadersFor(config.VERCEL_AUTOMATION_BYPASS_SECRET);
  if (!process.env.QSTASH_TOKEN) {
    const local = readLocalStack(localStackFile(process.env.OVERTIME_DATA_DIR || undefined));
    if (!local) {
      throw new Error(
        "QSTASH_TOKEN is missing. For the local stack, start `npm run dev` (or `npm run dev:stack`) in " +
          "another terminal and run this again; for a deployment, set QSTASH_TOKEN (Upstash console → QStash).",
      );
    }
    console.log(`Using the local stack of \`npm run dev\` (${local.QSTASH_URL}, app ${local.appUrl}).`);
    return {
      qstash: new Client({ baseUrl: local.QSTASH_URL, token: local.QSTASH_TOKEN }),
      scope: { environment: config.OVERTIME_ENV ?? "development", baseUrl: local.appUrl },
      deliveryHeaders,
      pruneOtherUrls,
    };
  }
  const { QSTASH_TOKEN } = parseEnvSubset(["QSTASH_TOKEN"]);
  return {
    qstash: new Client({ baseUrl: config.QSTASH_URL, token: QSTASH_TOKEN }),
    scope: scopeFromEnv(config, process.env.PORT),
    deliveryHeaders,
    pruneOtherUrls,
  };
}

/** The build step on Vercel: the build's own environment only, never .env files. */
function deployTarget(): Target | undefined {
  const config = parseEnvSubset(SCOPE_VARIABLES);
  const decision = deployScheduleDecision({
    setting: config.OVERTIME_DEPLOY_SCHEDULES,
    vercelEnv: config.VERCEL_ENV,
    overtimeEnv: config.OVERTIME_ENV,
    hasQStashToken: Boolean(process.env.QSTASH_TOKEN?.trim()),
    hasStableUrl: Boolean(
      config.UPSTASH_WORKFLOW_URL ||
        (config.VERCEL_ENV === "production"
          ? config.VERCEL_PROJECT_PRODUCTION_URL
          : config.VERCEL_BRANCH_URL),
    ),
  });
  if (!decision.sync) {
    if (decision.fail) throw new Error(`Overtime schedules: cannot sync on this build: ${decision.reason}.`);
    console.log(`Overtime schedules: not synced on this build (${decision.reason}).`);
    return undefined;
  }
  const { QSTASH_TOKEN } = parseEnvSubset(["QSTASH_TOKEN"]);
  const scope = scopeFromEnv({ ...config, OVERTIME_ENV: decision.environment });
  console.log(`Overtime schedules: syncing "${scope.environment}" at ${scope.baseUrl}.`);
  return {
    qstash: new Client({ baseUrl: config.QSTASH_URL, token: QSTASH_TOKEN }),
    scope,
    deliveryHeaders: deliveryHeadersFor(config.VERCEL_AUTOMATION_BYPASS_SECRET),
    pruneOtherUrls: decision.pruneOtherUrls,
  };
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
