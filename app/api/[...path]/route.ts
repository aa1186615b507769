import { dashboardReadAccess } from "overtime/dashboard";
import { createRouteHandlers } from "overtime/next";
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

/** Overtime's HTTP API (trigger, runs, events, approvals, budgets, workflows): one router, mounted here. */
// Reads of run data follow the dashboard's rules (token or session), like the pages.
export const { DELETE, GET, PATCH, POST, PUT } = createRouteHandlers(() => app().overtime, {
  readAccess: dashboardReadAccess(),
});
