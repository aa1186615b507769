/**
 * The Next.js App Router adapter: one catch-all route serves Overtime's whole HTTP API (the workflow
 * endpoint QStash calls, triggers, runs, events, approvals, budgets).
 *
 * @example
 * ```ts
 * // app/api/[...path]/route.ts
 * import { createRouteHandlers } from "overtime/next";
 * import { overtime } from "@/overtime";
 *
 * export const { GET, POST, PUT, PATCH, DELETE } = createRouteHandlers(() => overtime());
 * export const dynamic = "force-dynamic";
 * export const maxDuration = 300; // seconds a step may take; see the README's Deploy section
 * ```
 * `getOvertime` is called on the first request (so a missing variable is reported, as 503
 * `misconfigured` naming it, instead of failing the build).
 */
import { errorResponse } from "./http/errors";
import { createRouter, type OvertimeRouter, type RouterOptions } from "./http/router";
import type { Overtime } from "./overtime";

export type RouteHandler = (request: Request) => Promise<Response>;

export interface RouteHandlers {
  GET: RouteHandler;
  POST: RouteHandler;
  PUT: RouteHandler;
  PATCH: RouteHandler;
  DELETE: RouteHandler;
}

export function createRouteHandlers(getOvertime: () => Overtime, options: RouterOptions = {}): RouteHandlers {
  let router: OvertimeRouter | undefined;
  const handle: RouteHandler = async (request) => {
    try {
      router ??= createRouter(getOvertime(), options);
    } catch (error) {
      return errorResponse(error);
    }
    return router.handle(request);
  };
  return { GET: handle, POST: handle, PUT: handle, PATCH: handle, DELETE: handle };
}

export {
  ConflictError,
  type FieldIssue,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "./errors";
export {
  errorResponse,
  HttpError,
  methodNotAllowed,
  respond,
} from "./http/errors";
