import { randomBytes } from "node:crypto";
import type { Engine } from "../engine";
import { badRequest, notFound } from "../errors";
import { assertKnownFilters, dateInRange } from "../filters";
import { getHeader, type HeaderMap, toArrays } from "../headers";
import {
  headersFromJson,
  json,
  multiValues,
  parseJsonBody,
  type RequestContext,
  type Route,
  rawDestination,
} from "../http";
import { buildMessage, isTruthy, validateDestinationUrl } from "../message";
import { runView } from "../workflow/logs";
import type { RunRecord } from "../workflow/types";

const DEFAULT_FEATURES = "LazyFetch,InitialBody,WF_DetectTrigger,WF_TriggerOnConfig";

export const newRunId = () => `wfr_${randomBytes(16).toString("base64url").slice(0, 21)}`;

/**
 * Publish headers for a REST-triggered run (`/v2/trigger`): what `client.trigger` would send, with the
 * workflow URL itself as failure callback unless one is given.
 */
export function restTriggerHeaders(
  url: string,
  requestHeaders: HeaderMap,
  runId: string,
  unknownSdk: boolean,
): HeaderMap {
  const headers: HeaderMap = { ...requestHeaders };
  headers["Upstash-Workflow-Runid"] = runId;
  headers["Upstash-Workflow-Init"] = "true";
  headers["Upstash-Workflow-Url"] = url;
  headers["Upstash-Feature-Set"] = getHeader(requestHeaders, "Upstash-Feature-Set") ?? DEFAULT_FEATURES;
  delete headers["Upstash-Workflow-Unknown-Sdk"];
  if (!unknownSdk) headers["Upstash-Forward-Upstash-Workflow-Sdk-Version"] = "1";
  const label = getHeader(requestHeaders, "Upstash-Label");
  if (label && !headers["Upstash-Forward-Upstash-Label"]) headers["Upstash-Forward-Upstash-Label"] = label;
  if (!headers["Upstash-Failure-Callback"]) {
    headers["Upstash-Failure-Callback"] = url;
    headers["Upstash-Failure-Callback-Forward-Upstash-Workflow-Is-Failure"] = "true";
    headers["Upstash-Failure-Callback-Forward-Upstash-Workflow-Failure-Callback"] = "true";
    headers["Upstash-Failure-Callback-Workflow-Runid"] = runId;
    headers["Upstash-Failure-Callback-Workflow-Init"] = "false";
    headers["Upstash-Failure-Callback-Workflow-Url"] = url;
    headers["Upstash-Failure-Callback-Workflow-Calltype"] = "failureCall";
    headers["Upstash-Failure-Callback-Feature-Set"] = DEFAULT_FEATURES;
    for (const [name, value] of Object.entries(requestHeaders)) {
      if (name.startsWith("Upstash-Forward-"))
        headers[`Upstash-Failure-Callback-${name.slice("Upstash-".length)}`] = value;
    }
    for (const name of [
      "Upstash-Retries",
      "Upstash-Retry-Delay",
      "Upstash-Flow-Control-Key",
      "Upstash-Flow-Control-Value",
    ]) {
      const value = requestHeaders[name];
      if (value !== undefined) headers[`Upstash-Failure-Callback-${name.slice("Upstash-".length)}`] = value;
    }
  }
  return headers;
}

export function workflowRoutes(engine: Engine): Route[] {
  const runs = engine.runs;

  const trigger = async (url: string, requestHeaders: HeaderMap, body: Buffer, callerIp: string) => {
    validateDestinationUrl(url);
    engine.checkSize(body.length);
    const unknownSdk = isTruthy(getHeader(requestHeaders, "Upstash-Workflow-Unknown-Sdk"));
    const runId = getHeader(requestHeaders, "Upstash-Workflow-Runid") || newRunId();
    const headers = restTriggerHeaders(url, requestHeaders, runId, unknownSdk);
    const message = buildMessage({
      destination: url,
      headers,
      body,
      callerIp,
      nowMs: engine.clock.now(),
      limits: engine.limits,
    });
    if (message.workflow) {
      message.workflow.restTrigger = true;
      if (unknownSdk) message.workflow.unknownSdk = true;
    }
    const result = await engine.publish(message);
    const run = await runs.get(runId);
    const response: Record<string, unknown> = {
      workflowRunId: runId,
      workflowCreatedAt: run?.createdAt ?? message.createdAt,
    };
    if (result.deduplicated) response.deduplicated = true;
    return response;
  };

  const withoutAuth = (headers: HeaderMap): HeaderMap => {
    const copy = { ...headers };
    delete copy.Authorization;
    return copy;
  };

  return [
    {
      methods: ["POST"],
      pattern: /^\/v2\/trigger\/(.+)$/,
      handler: async (ctx) =>
        json(await trigger(rawDestination(ctx, ctx.params[0] ?? ""), ctx.headers, ctx.body, ctx.callerIp)),
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/batch\/trigger\/?$/,
      handler: async (ctx) => {
        const items =
          parseJsonBody<{ destination?: string; body?: string; headers?: Record<string, string> }[]>(ctx);
        if (!Array.isArray(items)) throw badRequest("batch trigger body must be a JSON array");
        const results = [];
        for (const item of items) {
          if (!item || typeof item.destination !== "string" || item.destination === "") {
            throw badRequest("destination is required for each batch trigger item");
          }
          results.push(
            await trigger(
              item.destination,
              headersFromJson(item.headers, "invalid batch trigger item"),
              Buffer.from(typeof item.body === "string" ? item.body : ""),
              ctx.callerIp,
            ),
          );
        }
        return json(results, 201);
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/wait\/([^/]+)$/,
      handler: async (ctx) => {
        await runs.waits.register(
          decodeURIComponent(ctx.params[0] ?? ""),
          withoutAuth(ctx.headers),
          ctx.body.toString("utf8"),
        );
        return json({});
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/notify\/([^/]+)$/,
      handler: async (ctx) => {
        engine.checkSize(ctx.body.length);
        return json(await runs.waits.notify(decodeURIComponent(ctx.params[0] ?? ""), ctx.body), 201);
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/notify\/([^/]+)\/([^/]+)$/,
      handler: async (ctx) => {
        engine.checkSize(ctx.body.length);
        const eventId = decodeURIComponent(ctx.params[1] ?? "");
        return json(await runs.waits.notify(eventId, ctx.body, decodeURIComponent(ctx.params[0] ?? "")), 201);
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/waiters\/([^/]+)$/,
      handler: async (ctx) => json(await runs.waits.waiters(decodeURIComponent(ctx.params[0] ?? ""))),
    },
    {
      methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
      pattern: /^\/v2\/workflows\/hooks\/([^/]+)\/([^/]+)\/([^/]+)$/,
      public: true,
      handler: async (ctx) => {
        engine.checkSize(ctx.body.length);
        const runId = decodeURIComponent(ctx.params[1] ?? "");
        const eventId = decodeURIComponent(ctx.params[2] ?? "");
        const run = await runs.get(runId);
        if (!run) throw notFound(`workflow run ${runId} not found`);
        const captured: Record<string, unknown> = {
          method: ctx.method,
          header: toArrays(ctx.headers),
          proto: "http",
          host: ctx.headers.Host ?? "",
          url: ctx.rawQuery ? `${ctx.path}?${ctx.rawQuery}` : ctx.path,
        };
        if (ctx.body.length > 0) captured.body = ctx.body.toString("base64");
        await runs.waits.notify(eventId, Buffer.from(JSON.stringify(captured)), runId);
        return json({});
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/workflows\/runs\/([^/]+)$/,
      handler: async (ctx) => {
        const runId = decodeURIComponent(ctx.params[0] ?? "");
        const run = await runs.get(runId);
        if (!run) throw notFound(`workflow run ${runId} not found`);
        const cancel = ctx.query.get("cancel") !== "false";
        await runs.complete(runId, ctx.body, cancel);
        return json({});
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/workflows\/runs\/([^/]+)$/,
      handler: async (ctx) => {
        const runId = decodeURIComponent(ctx.params[0] ?? "");
        const run = await runs.get(runId);
        if (run?.state !== "RUN_STARTED") throw notFound(`workflow run ${runId} not found`);
        return json(await runs.list(runId));
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/workflows\/runs\/?$/,
      handler: async (ctx) => {
        assertKnownFilters(ctx.query, "workflowCancel");
        const ids = multiValues(ctx.query, "workflowRunIds");
        const targets = ids.length > 0 ? ids : await matchingRuns(ctx, true);
        // Like a bulk message cancel: at most `count` per call (the SDK sends 100 with filters and `all`).
        const count = ids.length > 0 ? Number.POSITIVE_INFINITY : Number(ctx.query.get("count") ?? Infinity);
        let cancelled = 0;
        for (const id of targets) {
          if (cancelled >= count) break;
          if (await runs.cancel(id)) cancelled++;
        }
        return json({ cancelled });
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/workflows\/(?:events|logs)\/?$/,
      handler: async (ctx) => {
        assertKnownFilters(ctx.query, "workflowLogs");
        const count = Math.min(100, Number(ctx.query.get("count") ?? 10) || 10);
        const offset = Number(ctx.query.get("cursor") ?? 0) || 0;
        const ids = await matchingRuns(ctx, false);
        const page = ids.slice(offset, offset + count);
        const views = [];
        for (const id of page) {
          const run = await runs.get(id);
          if (run) views.push(runView(run, await runs.list(id), await runs.messageLogs(id)));
        }
        // Docs: "If no cursor is returned, there are no more workflow runs."
        const more = offset + count < ids.length;
        return json(more ? { cursor: String(offset + count), runs: views } : { runs: views });
      },
    },
  ];

  /** Run ids (newest first) matching the workflow filters of the query. */
  async function matchingRuns(ctx: RequestContext, activeOnly: boolean): Promise<string[]> {
    const query = ctx.query;
    const byId = [...multiValues(query, "workflowRunId"), ...multiValues(query, "workflowRunIds")];
    const url = query.get("workflowUrl") ?? query.get("urlStartingWith") ?? undefined;
    const exact =
      query.get("workflowUrlExactMatch") === "true" || (!activeOnly && query.get("workflowUrl") !== null);
    const labels = multiValues(query, "label");
    const states = multiValues(query, "state");
    const createdAt = query.get("workflowCreatedAt");
    const callerIps = multiValues(query, "callerIp");
    const flowControlKeys = multiValues(query, "flowControlKey");
    const hosts = multiValues(query, "host");
    const paths = multiValues(query, "path");
    const messageId = query.get("messageId");
    const out: string[] = [];
    const candidates = byId.length > 0 ? byId : await runs.allRunIds();
    for (const id of candidates) {
      const run: RunRecord | undefined = await runs.get(id);
      if (!run) {
        // Expired (retention): forget the id.
        if (byId.length === 0) await engine.store.redis.zrem(engine.store.key("runs"), id);
        continue;
      }
      if (activeOnly && run.state !== "RUN_STARTED") continue;
      if (url && (exact ? run.workflowUrl !== url : !run.workflowUrl.startsWith(url))) continue;
      if (labels.length > 0 && !labels.some((l) => run.labels.includes(l))) continue;
      if (states.length > 0 && !states.includes(run.state)) continue;
      if (createdAt && String(run.createdAt) !== createdAt) continue;
      if (callerIps.length > 0 && !callerIps.includes(run.callerIp)) continue;
      if (flowControlKeys.length > 0 && !flowControlKeys.includes(run.config.flowControl?.key ?? ""))
        continue;
      if (hosts.length > 0 || paths.length > 0) {
        const target = new URL(run.workflowUrl);
        if (hosts.length > 0 && !hosts.includes(target.host)) continue;
        if (paths.length > 0 && !paths.includes(target.pathname)) continue;
      }
      if (messageId && !(await runs.list(id)).some((entry) => entry.messageId === messageId)) continue;
      if (!dateInRange(query, run.createdAt)) continue;
      out.push(id);
    }
    return out;
  }
}
