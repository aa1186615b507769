import { ConfigError } from "overtime";
import { EnvError } from "@/app/_lib/env";
import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";
/**
 * Seconds one request may run on Vercel: every workflow step (an inline agent turn included), triggers
 * and the SSE event stream share this one function. 300 is the default and Hobby's maximum with Fluid
 * compute; Pro and Enterprise may raise it to 800. Keep OVERTIME_MAX_DURATION equal (it must be a literal
 * here: Next.js reads it at build time). See README → Deploy.
 */
export const maxDuration = 300;

/** Overtime's HTTP API (trigger, runs, events, approvals, budgets, workflows): one router, lib/http/router.ts. */
async function handle(request: Request): Promise<Response> {
  let router: ReturnType<typeof app>["router"];
  try {
    ({ router } = app());
  } catch (error) {
    if (!(error instanceof EnvError || error instanceof ConfigError)) throw error;
    // The variable is named (never its value); /api/health and the server log say the same.
    return Response.json(
      { error: { code: "misconfigured", message: `The server is misconfigured: ${error.message}` } },
      { status: 503, headers: { "retry-after": "60" } },
    );
  }
  return router.handle(request);
}

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
