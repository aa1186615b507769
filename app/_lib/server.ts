import { cookies, headers } from "next/headers";
import type { Overtime } from "overtime";
import { HttpError } from "overtime";
import { appSessions, checkAccess, resolveAccess, SESSION_COOKIE } from "overtime/dashboard";
import { EnvError } from "@/app/_lib/env";
import { app } from "@/app/overtime";

export type Loaded = { ok: true; overtime: Overtime } | { ok: false; problem: EnvError };

/** The app's Overtime, or the configuration problem that keeps it from starting (shown as a page). */
export function loadOvertime(): Loaded {
  try {
    return { ok: true, overtime: app().overtime };
  } catch (error) {
    if (error instanceof EnvError) return { ok: false, problem: error };
    throw error;
  }
}

/**
 * Server actions re-check access themselves: the proxy covers them today, but an action is reachable
 * from any page that imports it, so a matcher change must not silently open it.
 */
export async function assertActionAllowed(): Promise<void> {
  const verdict = await checkAccess(
    resolveAccess(process.env),
    {
      method: "POST",
      pathname: "/_action",
      headers: await headers(),
      sessionCookie: (await cookies()).get(SESSION_COOKIE)?.value,
    },
    appSessions(),
  );
  if (!verdict.allow) throw new Error(verdict.message);
}

export type ActionResult = { ok: true; runId?: string } | { ok: false; error: string };

/** Runs an action body; expected failures (conflict, not found, invalid input) come back as messages. */
export async function actionResult(body: () => Promise<ActionResult>): Promise<ActionResult> {
  try {
    await assertActionAllowed();
    return await body();
  } catch (error) {
    if (error instanceof HttpError) return { ok: false, error: error.message };
    throw error;
  }
}
