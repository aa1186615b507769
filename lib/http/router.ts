import { assertOpaqueId, assertUrlSafeId } from "../ids";
import { ConfigError, DEFAULT_WORKFLOWS_PATH, type Overtime } from "../overtime";
import { authenticate } from "../trigger/auth";
import { createDashboardHandlers } from "./dashboard";
import { errorResponse, methodNotAllowed, NotFoundError, ValidationError } from "./errors";
import { createRouteHandlers, type RouteHandlers } from "./handlers";

/** How a path parameter is checked before any handler sees it (rules in lib/ids.ts). */
type ParamKind = "urlSafe" | "opaque";

interface Route {
  method: string;
  /** Path below the base, e.g. `runs/:runId/steps/:step`; a trailing `*` takes the rest of the path. */
  path: string;
  /** A read of run data: allowed only past `readAccess` (writes authenticate in their handlers). */
  read?: true;
  handle(request: Request, params: Record<string, string>): Promise<Response>;
}

/** What a param name means: run and event ids reach QStash URLs; the rest are only looked up. */
const PARAM_KINDS: Record<string, ParamKind> = {
  runId: "urlSafe",
  eventId: "urlSafe",
  workflow: "opaque",
  step: "opaque",
  toolCallId: "opaque",
};

/**
 * Who may read runs, their events and steps, and budgets: resolves to allow, throws an OvertimeError
 * (401 UnauthorizedError, 503 …) to refuse. Default `callerReadAccess`: the trigger secret, as writes.
 * `overtime/dashboard`'s `dashboardReadAccess()` admits the dashboard's token and sessions instead.
 */
export type ReadAccess = (request: Request) => Promise<void>;

export interface RouterOptions {
  basePath?: string;
  readAccess?: ReadAccess;
}

/** Reads need a trigger-secret caller (bearer or HMAC signature of the empty body), like writes. */
export function callerReadAccess(overtime: Overtime): ReadAccess {
  return async (request) => {
    authenticate(request.headers, "", {
      secrets: overtime.config.trigger?.secrets ?? {},
      toleranceSeconds: overtime.config.trigger?.toleranceSeconds,
    });
  };
}

/** For local tools and tests only: anyone may read. */
export const publicReadAccess: ReadAccess = async () => {};

export interface OvertimeRouter {
  /** Answers any request below the base path (404/405 JSON for the rest); never throws. */
  handle(request: Request): Promise<Response>;
  readonly basePath: string;
}

/**
 * The one route table of Overtime's HTTP API. The Next.js catch-all route, the test stack and the
 * benchmark app all mount this router, so they serve exactly the same paths. Parameters are taken from
 * the raw request path and percent-decoded here (bad encoding → 400), then checked against the id rules
 * before a handler runs.
 */
export function createRouter(overtime: Overtime, options: RouterOptions = {}): OvertimeRouter {
  const readAccess = options.readAccess ?? callerReadAccess(overtime);
  const basePath = (options.basePath ?? "/api").replace(/\/+$/, "");
  const workflowsPath = overtime.config.workflowsPath ?? DEFAULT_WORKFLOWS_PATH;
  if (workflowsPath !== `${basePath}/workflows`) {
    throw new ConfigError(
      `The router serves workflows at ${basePath}/workflows but Overtime tells QStash ${workflowsPath}: ` +
        `set workflowsPath to "${basePath}/workflows" (or mount the router at its parent).`,
    );
  }
  const handlers: RouteHandlers = createRouteHandlers(overtime, { basePath });
  const dashboard = createDashboardHandlers(overtime);
  const routes: Route[] = [
    { method: "POST", path: "workflows/*", handle: (request) => overtime.serveWorkflows(request) },
    {
      method: "POST",
      path: "trigger/:workflow",
      handle: (r, p) => handlers.trigger(r, p.workflow as string),
    },
    {
      method: "GET",
      path: "trigger/:workflow",
      handle: async (_r, p) =>
        methodNotAllowed(["POST"], `POST a JSON input to ${basePath}/trigger/${p.workflow} to start a run.`),
    },
    { method: "GET", path: "runs", read: true, handle: (r) => handlers.listRuns(r) },
    {
      method: "GET",
      path: "runs/:runId",
      read: true,
      handle: (r, p) => handlers.getRun(r, p.runId as string),
    },
    {
      method: "GET",
      path: "runs/:runId/events",
      read: true,
      handle: (r, p) => handlers.runEvents(r, p.runId as string),
    },
    {
      method: "GET",
      path: "runs/:runId/steps/:step",
      read: true,
      handle: (r, p) => dashboard.stepDetail(r, p.runId as string, p.step as string),
    },
    {
      method: "POST",
      path: "runs/:runId/cancel",
      handle: (r, p) => handlers.cancelRun(r, p.runId as string),
    },
    { method: "POST", path: "runs/:runId/retry", handle: (r, p) => handlers.retryRun(r, p.runId as string) },
    {
      method: "POST",
      path: "runs/:runId/replay",
      handle: (r, p) => handlers.replayRun(r, p.runId as string),
    },
    {
      method: "POST",
      path: "runs/:runId/approvals/:toolCallId",
      handle: (r, p) => handlers.decideApproval(r, p.runId as string, p.toolCallId as string),
    },
    { method: "POST", path: "events/:eventId", handle: (r, p) => handlers.notify(r, p.eventId as string) },
    { method: "GET", path: "approvals", read: true, handle: (r) => handlers.pendingApprovals(r) },
    { method: "GET", path: "budgets", read: true, handle: (r) => handlers.budgets(r) },
  ];
  const compiled = routes.map((route) => ({ ...route, segments: route.path.split("/") }));

  return {
    basePath,
    async handle(request) {
      try {
        const segments = pathBelow(request.url, basePath);
        if (!segments) throw new NotFoundError(`No route for ${new URL(request.url).pathname}.`);
        const matching = compiled.flatMap((route) => {
          const params = match(route.segments, segments);
          return params ? [{ route, params }] : [];
        });
        if (matching.length === 0)
          throw new NotFoundError(`No route for ${request.method} ${basePath}/${segments.join("/")}.`);
        const found = matching.find(({ route }) => route.method === request.method);
        if (!found) {
          const allowed = [...new Set(matching.map(({ route }) => route.method))];
          return methodNotAllowed(allowed);
        }
        const params = decodeParams(found.params);
        if (found.route.read) await readAccess(request);
        return await found.route.handle(request, params);
      } catch (error) {
        return errorResponse(error);
      }
    },
  };
}

/** The raw (still percent-encoded) segments of the path below `basePath`, or undefined outside it. */
function pathBelow(url: string, basePath: string): string[] | undefined {
  const { pathname } = new URL(url);
  if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return undefined;
  return pathname
    .slice(basePath.length + 1)
    .split("/")
    .filter((segment, index, all) => segment !== "" || index < all.length - 1);
}

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    if (part === "*") return segments.length > index ? params : undefined;
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (part.startsWith(":")) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return segments.length === pattern.length ? params : undefined;
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    let text: string;
    try {
      text = decodeURIComponent(value);
    } catch {
      throw new ValidationError(`Invalid ${name}: the path segment is not valid percent-encoding.`, [
        { path: name, message: "not valid percent-encoding" },
      ]);
    }
    decoded[name] =
      PARAM_KINDS[name] === "urlSafe" ? assertUrlSafeId(name, text) : assertOpaqueId(name, text);
  }
  return decoded;
}
