/**
 * What a Vercel deployment changes for Overtime: the URL QStash calls back, the header that gets QStash
 * past Deployment Protection, the function duration limit, and whether a build syncs schedules. Pure
 * functions of the values passed in (the app reads them from the environment in lib/env.ts).
 */

/** The host names Vercel sets on a deployment (no scheme), plus an explicit override. */
export interface DeploymentUrls {
  /** UPSTASH_WORKFLOW_URL: when set it always wins (a custom domain, a tunnel, a fixed preview URL). */
  explicitUrl?: string;
  /** VERCEL_ENV: production, preview or development. */
  vercelEnv?: string;
  /** VERCEL_PROJECT_PRODUCTION_URL: the project's production domain, the same for every deployment. */
  productionHost?: string;
  /** VERCEL_BRANCH_URL: the git branch's URL, always the branch's latest preview. */
  branchHost?: string;
  /** VERCEL_URL: this one deployment's URL. */
  deploymentHost?: string;
  /** The local server's port when nothing else is known (default 3000). */
  localPort?: string | number;
}

/**
 * The public base URL QStash calls back. A stable URL, never the per-deployment one when a stable one is
 * known: production uses the project's production domain and a preview its branch URL, so a schedule or
 * an in-flight run keeps reaching the current deployment and redeploys do not multiply schedule scopes.
 * The per-deployment URL is the last resort (e.g. `vercel dev`), then the local Next.js server.
 */
export function deploymentBaseUrl(urls: DeploymentUrls): string {
  if (urls.explicitUrl) return urls.explicitUrl;
  if (urls.vercelEnv === "production" && urls.productionHost) return httpsUrl(urls.productionHost);
  if (urls.vercelEnv === "preview" && urls.branchHost) return httpsUrl(urls.branchHost);
  if (urls.deploymentHost) return httpsUrl(urls.deploymentHost);
  return `http://127.0.0.1:${urls.localPort ?? 3000}`;
}

/** Vercel's host variables carry no scheme; tolerate one anyway. */
function httpsUrl(host: string): string {
  return /^https?:\/\//.test(host) ? host : `https://${host}`;
}

/** The header Vercel's "Protection Bypass for Automation" accepts. */
export const PROTECTION_BYPASS_HEADER = "x-vercel-protection-bypass";

/**
 * Headers every QStash delivery to the app must carry: the protection bypass secret when one is set
 * (VERCEL_AUTOMATION_BYPASS_SECRET), so QStash's calls pass Vercel Authentication on preview and
 * `*.vercel.app` URLs. Forwarded on triggers, invokes and schedules only (see `deliveryHeaders` in
 * lib/overtime.ts): never on the QStash client as global headers, which would hand the secret to every
 * third-party URL a `context.call` reaches.
 */
export function deliveryHeadersFor(bypassSecret: string | undefined): Record<string, string> {
  return bypassSecret ? { [PROTECTION_BYPASS_HEADER]: bypassSecret } : {};
}

/**
 * Seconds the catch-all API function may run (`maxDuration` in app/api/[...path]/route.ts). 300 s is the
 * default and Hobby's maximum with Fluid compute, so it deploys on every plan; Pro and Enterprise may raise
 * it to 800 s (both the route's export and OVERTIME_MAX_DURATION).
 */
export const DEFAULT_MAX_DURATION_SECONDS = 300;

/** `OVERTIME_DEPLOY_SCHEDULES`: `auto` syncs on production builds only, `on` on previews too, `off` never. */
export type DeploySchedulesSetting = "auto" | "on" | "off";

export interface DeployScheduleInput {
  setting: DeploySchedulesSetting;
  /** VERCEL_ENV of the build (undefined: not a Vercel build). */
  vercelEnv?: string;
  /** OVERTIME_ENV, when this project's schedules use another environment name (e.g. staging). */
  overtimeEnv?: string;
  /** Whether the build has QStash credentials (QSTASH_TOKEN) for its environment. */
  hasQStashToken: boolean;
  /**
   * Whether a stable base URL is known for the build's environment: UPSTASH_WORKFLOW_URL, or
   * VERCEL_PROJECT_PRODUCTION_URL (production) / VERCEL_BRANCH_URL (preview).
   */
  hasStableUrl: boolean;
}

export type DeployScheduleDecision =
  | { sync: true; environment: string; pruneOtherUrls: boolean }
  /** `fail`: a misconfiguration the build must not hide (it exits non-zero). */
  | { sync: false; reason: string; fail?: true };

/**
 * Whether a Vercel build syncs the workflows' schedules, and for which environment. Production does,
 * when it has QStash credentials, and prunes its environment's schedules at other base URLs (earlier
 * per-deployment URLs, an old domain). Previews only when asked (OVERTIME_DEPLOY_SCHEDULES=on), without
 * pruning: each branch URL is its own scope and another branch's preview must keep its schedules.
 */
export function deployScheduleDecision(input: DeployScheduleInput): DeployScheduleDecision {
  if (input.setting === "off") return { sync: false, reason: "OVERTIME_DEPLOY_SCHEDULES=off" };
  if (!input.vercelEnv) return { sync: false, reason: "not a Vercel build (VERCEL_ENV is unset)" };
  const environment = input.overtimeEnv ?? input.vercelEnv;
  if (input.vercelEnv === "preview" && input.setting !== "on") {
    return { sync: false, reason: "previews get no schedules unless OVERTIME_DEPLOY_SCHEDULES=on" };
  }
  if (input.vercelEnv !== "production" && input.vercelEnv !== "preview") {
    return { sync: false, reason: `VERCEL_ENV=${input.vercelEnv} never syncs on build` };
  }
  if (!input.hasQStashToken) {
    return { sync: false, reason: `no QSTASH_TOKEN in the ${input.vercelEnv} environment` };
  }
  if (!input.hasStableUrl) {
    // Falling back to the per-deployment URL would start a new schedule scope on every deploy.
    const variable = input.vercelEnv === "production" ? "VERCEL_PROJECT_PRODUCTION_URL" : "VERCEL_BRANCH_URL";
    return {
      sync: false,
      fail: true,
      reason:
        `${variable} is not set; enable "Automatically expose System Environment Variables" ` +
        "(Project → Settings → Environment Variables) or set UPSTASH_WORKFLOW_URL",
    };
  }
  return { sync: true, environment, pruneOtherUrls: input.vercelEnv === "production" };
}
