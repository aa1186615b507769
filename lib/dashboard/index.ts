/**
 * The dashboard's server side: who may see it (token, server-side sessions), the data its pages show
 * (a run with its cost, approvals and tasks; one step's output and attempts), the trigger form built
 * from a workflow's zod schema, and cron previews. The reference app's pages are built on it.
 *
 * @example
 * ```ts
 * // proxy.ts: every page and API route of the dashboard passes here
 * import { appSessions, checkAccess, resolveAccess, SESSION_COOKIE } from "overtime/dashboard";
 * const verdict = await checkAccess(resolveAccess(process.env), { method, pathname, headers, sessionCookie }, appSessions());
 * ```
 */

export { runView } from "../http/handlers";
export { readStepDetail, type StepDetail } from "../runs/step-detail";
export * from "./access";
export { formatInZone, nextFireTimes } from "./cron";
export * from "./schema-form";
export * from "./sessions";
