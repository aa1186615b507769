import { ConfigError, DEFAULT_MAX_DURATION_SECONDS, deploymentBaseUrl } from "overtime";
import { DASHBOARD_TOKEN_MIN_LENGTH } from "overtime/dashboard";
import { z } from "zod";

/**
 * Every environment variable Overtime reads, parsed with zod once.
 *
 * zod alone, not a wrapper such as t3-env: this app has no client-side variables to keep apart,
 * and the one thing a wrapper would add, readable errors, is what `describeProblem` does here with
 * the source of each variable.
 */

const url = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const secret = z.string().trim().min(1, "must not be empty");
/** Also parsed on its own by the proxy, which must not need the rest of the environment. */
export const dashboardToken = z
  .string()
  .trim()
  .min(DASHBOARD_TOKEN_MIN_LENGTH, "must be at least 16 characters");

const VARIABLES = {
  UPSTASH_REDIS_REST_URL: {
    schema: url,
    source:
      "Upstash console → Redis → your database → REST API; the Upstash integration on the Vercel Marketplace " +
      "sets it or KV_REST_API_URL, which is read when this is unset",
  },
  UPSTASH_REDIS_REST_TOKEN: {
    schema: secret,
    source:
      "Upstash console → Redis → your database → REST API → token (or KV_REST_API_TOKEN from the Vercel integration)",
  },
  KV_REST_API_URL: {
    schema: url.optional(),
    source:
      "set by the Upstash integration on the Vercel Marketplace; used when UPSTASH_REDIS_REST_URL is unset",
  },
  KV_REST_API_TOKEN: {
    schema: secret.optional(),
    source:
      "set by the Upstash integration on the Vercel Marketplace; used when UPSTASH_REDIS_REST_TOKEN is unset",
  },
  QSTASH_URL: {
    schema: url.default("https://qstash.upstash.io"),
    source: "Upstash console → QStash → Request builder (defaults to https://qstash.upstash.io)",
  },
  QSTASH_TOKEN: { schema: secret, source: "Upstash console → QStash → QSTASH_TOKEN" },
  QSTASH_CURRENT_SIGNING_KEY: {
    schema: secret,
    source: "Upstash console → QStash → Signing keys → current",
  },
  QSTASH_NEXT_SIGNING_KEY: {
    schema: secret,
    source: "Upstash console → QStash → Signing keys → next",
  },
  OPENAI_API_KEY: { schema: secret, source: "OpenAI platform → API keys" },
  OPENAI_BASE_URL: {
    schema: url.optional(),
    source: "only to use another OpenAI-compatible endpoint (the local dev model sets it)",
  },
  UPSTASH_WORKFLOW_URL: {
    schema: url.optional(),
    source:
      "the public base URL QStash calls back, e.g. https://your-app.vercel.app; on Vercel it defaults to " +
      "VERCEL_PROJECT_PRODUCTION_URL in production and VERCEL_BRANCH_URL on previews",
  },
  VERCEL_URL: {
    schema: z.string().optional(),
    source: "set by Vercel on every deployment (host name without scheme); never set it yourself",
  },
  VERCEL_PROJECT_PRODUCTION_URL: {
    schema: z.string().optional(),
    source: "set by Vercel (the project's production domain, no scheme); never set it yourself",
  },
  VERCEL_BRANCH_URL: {
    schema: z.string().optional(),
    source: "set by Vercel on git deployments (the branch's URL, no scheme); never set it yourself",
  },
  VERCEL_AUTOMATION_BYPASS_SECRET: {
    schema: secret.optional(),
    source:
      "set by Vercel once you create a secret in Project → Settings → Deployment Protection → Protection Bypass " +
      "for Automation; forwarded to QStash as x-vercel-protection-bypass",
  },
  VERCEL_ENV: {
    schema: z.string().optional(),
    source: "set by Vercel on every deployment (production, preview or development); never set it yourself",
  },
  OVERTIME_ENV: {
    schema: z
      .string()
      .regex(/^[a-z0-9]{1,32}$/, "must be 1-32 lower-case letters or digits (it is part of schedule ids)")
      .optional(),
    source:
      "the environment name schedules are scoped by (e.g. staging); overrides VERCEL_ENV, default development",
  },
  OVERTIME_MAX_DURATION: {
    schema: z.coerce.number().int().min(1).max(1_800).default(DEFAULT_MAX_DURATION_SECONDS),
    source:
      `seconds the API function may run, as the route's maxDuration says (default ${DEFAULT_MAX_DURATION_SECONDS}); ` +
      "an inline agent turn is stopped shortly before it, with a hint to use offload",
  },
  OVERTIME_DEPLOY_SCHEDULES: {
    schema: z.enum(["auto", "on", "off"], { error: 'must be "auto", "on" or "off"' }).default("auto"),
    source:
      "whether a Vercel build syncs the schedules: auto (default) on production builds, on for previews too, off never",
  },
  OVERTIME_TRIGGER_SECRET: {
    schema: z.string().trim().min(16, "must be at least 16 characters").optional(),
    source:
      "a random secret you choose (e.g. `openssl rand -hex 32`); webhook callers send it as a Bearer token " +
      "or sign with it. Without it the trigger, cancel, retry and notify routes answer 401",
  },
  OVERTIME_TRIGGER_RATE_LIMIT: {
    schema: z.coerce.number().int().min(1).max(100_000).default(60),
    source: "trigger requests per minute per caller (default 60)",
  },
  DASHBOARD_TOKEN: {
    schema: dashboardToken.optional(),
    source:
      "a random secret you choose (e.g. `openssl rand -hex 32`), at least 16 characters; required in production " +
      "for every dashboard page and API (sign in with it, or send it as a Bearer token). " +
      "Without it, production answers 401 everywhere and local dev is open on localhost only",
  },
  OVERTIME_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1).max(365).default(30),
    source: "how long run records are kept, in days (default 30)",
  },
  OVERTIME_MODEL: {
    schema: z.string().trim().min(1).default("gpt-4o-mini"),
    source: "the OpenAI model id agents use by default (default gpt-4o-mini)",
  },
  OVERTIME_BUDGETS: {
    schema: z.string().optional(),
    source:
      'token/request budgets per model as JSON, e.g. {"gpt-4o-mini":{"tokensPerMinute":200000,"requestsPerMinute":500}}; ' +
      "set them a little under your OpenAI tier's limits (platform.openai.com → Settings → Limits)",
  },
  OVERTIME_PRICES: {
    schema: z.string().optional(),
    source:
      'overrides of the price table for run costs as JSON, e.g. {"models":{"gpt-4o-mini":{"inputPerMillion":0.15,"outputPerMillion":0.6}}}; ' +
      "defaults: Upstash pay-as-you-go and OpenAI list prices",
  },
  OVERTIME_CLAIM_CHECK_BYTES: {
    schema: z.coerce.number().int().min(1_024).max(1_000_000).default(32_768),
    source:
      "step results larger than this many bytes are stored in Redis, not in the workflow history (default 32768)",
  },
} as const;

type Variables = typeof VARIABLES;
export type Env = { [K in keyof Variables]: z.output<Variables[K]["schema"]> };

export class EnvError extends ConfigError {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

const schema = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([name, variable]) => [name, variable.schema])) as {
    [K in keyof Variables]: Variables[K]["schema"];
  },
);

/** Names the Vercel Marketplace integration may use instead: read when the first is unset. */
const ALIASES: Partial<Record<keyof Variables, keyof Variables>> = {
  UPSTASH_REDIS_REST_URL: "KV_REST_API_URL",
  UPSTASH_REDIS_REST_TOKEN: "KV_REST_API_TOKEN",
};

/** Blank values count as missing; an unset variable takes its alias's value. */
function normalized(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const values = Object.fromEntries(
    Object.entries(source).map(([name, value]) => [name, value === "" ? undefined : value]),
  );
  for (const [name, alias] of Object.entries(ALIASES)) values[name] ??= values[alias as string];
  return values;
}

/** Parses `source` (process.env by default); throws an EnvError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = schema.safeParse(normalized(source));
  if (result.success) return result.data as Env;
  throw new EnvError(result.error.issues.map(describeProblem));
}

function describeProblem(issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0]) as keyof Variables;
  const source = VARIABLES[name]?.source ?? "unknown";
  const problem = issue.code === "invalid_type" && issue.input === undefined ? "is missing" : issue.message;
  return `${name} ${problem}. Where it comes from: ${source}.`;
}

/** Parses only `names` from `source`, for tools that need a few variables (e.g. `schedules:sync`). */
export function parseEnvSubset<K extends keyof Variables>(
  names: readonly K[],
  source: Record<string, string | undefined> = process.env,
): Pick<Env, K> {
  const values = normalized(source);
  const picked = Object.fromEntries(names.map((name) => [name, values[name]]));
  const subset = z.object(Object.fromEntries(names.map((name) => [name, VARIABLES[name].schema])));
  const result = subset.safeParse(picked);
  if (result.success) return result.data as Pick<Env, K>;
  throw new EnvError(result.error.issues.map(describeProblem));
}

/** The variables the public base URL is chosen from (rules: `deploymentBaseUrl` in lib/vercel.ts). */
export type BaseUrlVariables = Partial<
  Pick<
    Env,
    | "UPSTASH_WORKFLOW_URL"
    | "VERCEL_ENV"
    | "VERCEL_PROJECT_PRODUCTION_URL"
    | "VERCEL_BRANCH_URL"
    | "VERCEL_URL"
  >
>;

/**
 * The public base URL QStash calls back: UPSTASH_WORKFLOW_URL, else production's project URL or a
 * preview's branch URL, else the deployment URL, else the local Next.js server.
 */
export function publicBaseUrl(config: BaseUrlVariables, port: string | undefined = process.env.PORT): string {
  return deploymentBaseUrl({
    explicitUrl: config.UPSTASH_WORKFLOW_URL,
    vercelEnv: config.VERCEL_ENV,
    productionHost: config.VERCEL_PROJECT_PRODUCTION_URL,
    branchHost: config.VERCEL_BRANCH_URL,
    deploymentHost: config.VERCEL_URL,
    localPort: port,
  });
}

let cached: Env | undefined;

/** The parsed environment, read once per process. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

/** The names and sources of every variable, for docs and `.env.example` checks. */
export function describeVariables(): Array<{ name: string; source: string }> {
  return Object.entries(VARIABLES).map(([name, variable]) => ({ name, source: variable.source }));
}
