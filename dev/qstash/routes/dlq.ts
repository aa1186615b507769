import type { DeliveryOutcome } from "../delivery";
import type { DlqEntry, Engine } from "../engine";
import { badRequest, notFound } from "../errors";
import { assertKnownFilters, dateInRange, messageSubject, subjectMatches } from "../filters";
import { getHeader, type HeaderMap, parseDuration, parseNonNegativeInt } from "../headers";
import { json, multiValues, type RequestContext, type Route } from "../http";
import { newMessageId } from "../ids";
import { buildMessage, isUtf8, messageView, type StoredMessage } from "../message";
import { newRunId } from "./workflows";

function entryView(entry: DlqEntry, engineRunState?: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    ...messageView(entry.message),
    dlqId: entry.dlqId,
    responseStatus: entry.responseStatus,
    responseHeader: entry.responseHeader,
  };
  const body = Buffer.from(entry.responseBodyBase64, "base64");
  if (isUtf8(body)) view.responseBody = body.toString("utf8");
  else view.responseBodyBase64 = entry.responseBodyBase64;
  if (entry.source === "workflow") {
    view.workflowRunId = entry.workflowRunId;
    view.workflowCreatedAt = entry.workflowCreatedAt;
    view.workflowUrl = entry.workflowUrl;
    Object.assign(view, engineRunState ?? {});
  }
  return view;
}

export function dlqRoutes(engine: Engine): Route[] {
  const store = engine.store;
  const runs = engine.runs;

  const load = async (dlqId: string) => store.getJson<DlqEntry>(store.key("dlq", dlqId));
  const remove = async (dlqId: string) => {
    const removed = await store.redis.zrem(store.key("dlq"), dlqId);
    await store.redis.del(store.key("dlq", dlqId));
    return removed === 1;
  };

  const workflowExtras = async (entry: DlqEntry) => {
    if (entry.source !== "workflow" || !entry.workflowRunId) return {};
    const run = await runs.get(entry.workflowRunId);
    const extra: Record<string, unknown> = {};
    if (run?.config.failureCallback) extra.failureCallback = run.config.failureCallback;
    if (run?.failureFunction && run.failureFunction.dlqId === entry.dlqId) {
      extra.failureCallbackInfo = {
        state: run.failureFunction.state,
        responseStatus: run.failureFunction.responseStatus,
        responseBody: run.failureFunction.responseBody,
        responseHeaders: run.failureFunction.responseHeaders,
      };
    }
    return extra;
  };

  /** DLQ entries of one source in the query's `order` (REST docs: default `earliestFirst`), filtered. */
  const select = async (ctx: RequestContext, source: DlqEntry["source"]): Promise<DlqEntry[]> => {
    assertKnownFilters(ctx.query, "dlq");
    const ids = multiValues(ctx.query, "dlqIds");
    const order = dlqOrder(ctx.query);
    const all =
      order === "latestFirst"
        ? await store.redis.zrevrange(store.key("dlq"), 0, -1)
        : await store.redis.zrange(store.key("dlq"), "0", "-1");
    const out: DlqEntry[] = [];
    for (const dlqId of all) {
      if (ids.length > 0 && !ids.includes(dlqId)) continue;
      const entry = await load(dlqId);
      if (!entry || entry.source !== source) continue;
      if (ids.length === 0 && !entryMatches(entry, ctx.query)) continue;
      const failureState = ctx.query.get("failureFunctionState");
      if (failureState && entry.workflowRunId) {
        const run = await runs.get(entry.workflowRunId);
        if (run?.failureFunction?.state !== failureState) continue;
      }
      out.push(entry);
    }
    return out;
  };

  /**
   * One page of entries. The cursor is the last dlqId handed out; the next page starts after it in DLQ order,
   * so it stays right when a bulk delete or retry has removed the entries of the previous page.
   */
  const page = (ctx: RequestContext, entries: DlqEntry[], defaultCount = 100) => {
    const count = Number(ctx.query.get("count") ?? defaultCount) || defaultCount;
    const cursor = ctx.query.get("cursor");
    let rest = entries;
    if (cursor) {
      const at = dlqOrderKey(cursor);
      if (!at) throw badRequest(`invalid cursor: ${cursor}`);
      rest = entries.filter((entry) => comesAfter(entry.dlqId, at, dlqOrder(ctx.query)));
    }
    const items = rest.slice(0, count);
    const last = items.at(-1);
    return { items, cursor: rest.length > count && last ? last.dlqId : undefined };
  };

  const list = async (ctx: RequestContext, source: DlqEntry["source"]) => {
    const { items, cursor } = page(ctx, await select(ctx, source));
    const messages = [];
    for (const entry of items) messages.push(entryView(entry, await workflowExtras(entry)));
    return json(cursor ? { messages, cursor } : { messages });
  };

  const retryMessage = async (entry: DlqEntry, overrides: HeaderMap) => {
    const now = engine.clock.now();
    const message: StoredMessage = {
      ...entry.message,
      messageId: newMessageId(),
      createdAt: now,
      notBefore: 0,
      retried: 0,
    };
    const retries = getHeader(overrides, "Upstash-Retries");
    if (retries !== undefined) message.maxRetries = parseNonNegativeInt(retries, "Upstash-Retries");
    const retryDelay = getHeader(overrides, "Upstash-Retry-Delay");
    if (retryDelay !== undefined) message.retryDelay = retryDelay;
    const delay = getHeader(overrides, "Upstash-Delay");
    if (delay !== undefined) message.notBefore = now + parseDuration(delay, "Upstash-Delay");
    delete message.deduplicationId;
    const result = await engine.publish(message);
    await remove(entry.dlqId);
    return { messageId: result.messageId };
  };

  /** Restart (from the initial payload) or resume (after the last successful step) a failed run as a new run. */
  const revive = async (entry: DlqEntry, overrides: HeaderMap, mode: "restart" | "resume") => {
    if (!entry.workflowRunId) throw badRequest(`dlq entry ${entry.dlqId} is not a workflow run`);
    const run = await runs.get(entry.workflowRunId);
    if (!run) throw notFound(`workflow run ${entry.workflowRunId} not found`);
    const newId = getHeader(overrides, "Upstash-Workflow-Runid") ?? newRunId();
    const headers: HeaderMap = { ...run.triggerHeaders };
    for (const name of [
      "Upstash-Delay",
      "Upstash-Not-Before",
      "Upstash-Deduplication-Id",
      "Upstash-Workflow-Unknown-Sdk",
    ]) {
      delete headers[name];
    }
    headers["Upstash-Workflow-Runid"] = newId;
    headers["Upstash-Workflow-Init"] = "true";
    if (headers["Upstash-Failure-Callback-Workflow-Runid"])
      headers["Upstash-Failure-Callback-Workflow-Runid"] = newId;
    for (const name of [
      "Upstash-Retries",
      "Upstash-Retry-Delay",
      "Upstash-Flow-Control-Key",
      "Upstash-Flow-Control-Value",
      "Upstash-Label",
      "Upstash-Failure-Callback",
      "Upstash-Delay",
    ]) {
      const value = getHeader(overrides, name);
      if (value !== undefined) headers[name] = value;
    }
    const now = engine.clock.now();
    const trigger = buildMessage({
      destination: run.workflowUrl,
      headers,
      body: Buffer.from(run.initialBodyBase64, "base64"),
      callerIp: run.callerIp,
      nowMs: now,
      limits: engine.limits,
    });
    const failedIndex = entry.message.workflow?.index ?? 0;
    if (mode === "restart" || failedIndex <= 0) {
      await engine.publish(trigger);
    } else {
      // Record the trigger without delivering it, copy the successful history, then redeliver the failed message.
      await runs.commitWithoutDelivery((await runs.attach(trigger)).append);
      await runs.markDelivered(newId, trigger.messageId);
      const history = await runs.list(entry.workflowRunId);
      await runs.appendRaw(newId, history.slice(1, failedIndex));
      const failed: StoredMessage = {
        ...entry.message,
        messageId: newMessageId(),
        createdAt: now,
        notBefore: 0,
        retried: 0,
        config: { ...entry.message.config, "Upstash-Workflow-Runid": newId },
      };
      if (failed.workflow)
        failed.workflow = { ...failed.workflow, runId: newId, init: false, index: undefined };
      delete failed.deduplicationId;
      await engine.publish(failed);
    }
    await remove(entry.dlqId);
    const created = await runs.get(newId);
    return { workflowRunId: newId, workflowCreatedAt: created?.createdAt ?? now };
  };

  const bulkRevive =
    (mode: "restart" | "resume"): Route["handler"] =>
    async (ctx) => {
      if (ctx.params[0]) {
        const entry = await load(ctx.params[0]);
        if (!entry) throw notFound(`dlq entry ${ctx.params[0]} not found`);
        return json(await revive(entry, ctx.headers, mode));
      }
      const { items, cursor } = page(ctx, await select(ctx, "workflow"));
      const workflowRuns = [];
      for (const entry of items) workflowRuns.push(await revive(entry, ctx.headers, mode));
      return json(cursor ? { workflowRuns, cursor } : { workflowRuns });
    };

  const bulkDelete =
    (source: DlqEntry["source"]): Route["handler"] =>
    async (ctx) => {
      const { items, cursor } = page(ctx, await select(ctx, source));
      let deleted = 0;
      for (const entry of items) if (await remove(entry.dlqId)) deleted++;
      return json(cursor ? { deleted, cursor } : { deleted });
    };

  const getOne =
    (source: DlqEntry["source"]): Route["handler"] =>
    async (ctx) => {
      const entry = await load(ctx.params[0] ?? "");
      if (!entry || entry.source !== source) throw notFound(`dlq entry ${ctx.params[0]} not found`);
      return json(entryView(entry, await workflowExtras(entry)));
    };

  const deleteOne: Route["handler"] = async (ctx) => {
    if (!(await remove(ctx.params[0] ?? ""))) throw notFound(`dlq entry ${ctx.params[0]} not found`);
    return json({});
  };

  return [
    {
      methods: ["GET"],
      pattern: /^\/v2\/dlq\/?$/,
      handler: (ctx) => list(ctx, ctx.query.get("source") === "workflow" ? "workflow" : "message"),
    },
    { methods: ["GET"], pattern: /^\/v2\/dlq\/([^/]+)$/, handler: getOne("message") },
    { methods: ["DELETE"], pattern: /^\/v2\/dlq\/([^/]+)$/, handler: deleteOne },
    { methods: ["DELETE"], pattern: /^\/v2\/dlq\/?$/, handler: bulkDelete("message") },
    {
      methods: ["POST"],
      pattern: /^\/v2\/dlq\/retry(?:\/([^/]+))?$/,
      handler: async (ctx) => {
        if (ctx.params[0]) {
          const entry = await load(ctx.params[0]);
          if (!entry) throw notFound(`dlq entry ${ctx.params[0]} not found`);
          return json(await retryMessage(entry, ctx.headers));
        }
        const { items, cursor } = page(ctx, await select(ctx, "message"));
        const responses = [];
        for (const entry of items) responses.push(await retryMessage(entry, ctx.headers));
        return json(cursor ? { responses, cursor } : { responses });
      },
    },
    { methods: ["GET"], pattern: /^\/v2\/workflows\/dlq\/?$/, handler: (ctx) => list(ctx, "workflow") },
    { methods: ["GET"], pattern: /^\/v2\/workflows\/dlq\/([^/]+)$/, handler: getOne("workflow") },
    { methods: ["DELETE"], pattern: /^\/v2\/workflows\/dlq\/([^/]+)$/, handler: deleteOne },
    { methods: ["DELETE"], pattern: /^\/v2\/workflows\/dlq\/?$/, handler: bulkDelete("workflow") },
    {
      methods: ["POST"],
      pattern: /^\/v2\/workflows\/dlq\/resume(?:\/([^/]+))?$/,
      handler: bulkRevive("resume"),
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/workflows\/dlq\/restart(?:\/([^/]+))?$/,
      handler: bulkRevive("restart"),
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/workflows\/dlq\/callback\/([^/]+)$/,
      handler: async (ctx) => {
        const entry = await load(ctx.params[0] ?? "");
        if (!entry?.workflowRunId) throw notFound(`dlq entry ${ctx.params[0]} not found`);
        const run = await runs.get(entry.workflowRunId);
        if (!run) throw notFound(`workflow run ${entry.workflowRunId} not found`);
        if (run.failureFunction?.state !== "CALLBACK_FAIL") {
          throw badRequest("failure callback can only be retried when it has failed");
        }
        const outcome: DeliveryOutcome = {
          response: {
            status: entry.responseStatus,
            headers: headersFromArrays(entry.responseHeader),
            body: Buffer.from(entry.responseBodyBase64, "base64"),
          },
          durationMs: 0,
        };
        await runs.publishFailureCallback(run, entry.message, outcome, entry.dlqId);
        return json({ workflowRunId: run.workflowRunId, workflowCreatedAt: run.createdAt });
      },
    },
  ];
}

function headersFromArrays(arrays: Record<string, string[]>): Headers {
  const headers = new Headers();
  for (const [name, values] of Object.entries(arrays))
    for (const value of values) headers.append(name, value);
  return headers;
}

function entryMatches(entry: DlqEntry, query: URLSearchParams): boolean {
  if (!subjectMatches(messageSubject(entry.message), query)) return false;
  if (!dateInRange(query, entry.failedAt)) return false;
  const statuses = multiValues(query, "responseStatus");
  if (statuses.length > 0 && !statuses.includes(String(entry.responseStatus))) return false;
  const runId = query.get("workflowRunId");
  if (runId && entry.workflowRunId !== runId) return false;
  const workflowUrls = multiValues(query, "workflowUrl");
  if (workflowUrls.length > 0 && !workflowUrls.includes(entry.workflowUrl ?? "")) return false;
  const createdAt = query.get("workflowCreatedAt");
  if (createdAt && String(entry.workflowCreatedAt) !== createdAt) return false;
  return true;
}

/** dlqIds are `<failedAt ms>-<n>` and the DLQ sorted set is scored by failedAt: the id gives the position. */
function dlqOrderKey(dlqId: string): { score: number; id: string } | undefined {
  const match = /^(\d+(?:\.\d+)?)-\d+$/.exec(dlqId);
  return match ? { score: Number(match[1]), id: dlqId } : undefined;
}

type DlqOrder = "earliestFirst" | "latestFirst";

function dlqOrder(query: URLSearchParams): DlqOrder {
  const order = query.get("order") ?? "earliestFirst";
  if (order !== "earliestFirst" && order !== "latestFirst") {
    throw badRequest(`invalid order: ${order} (earliestFirst or latestFirst)`);
  }
  return order;
}

/** Position in ZRANGE order (equal scores: members lexicographically), or reversed for latestFirst. */
function comesAfter(dlqId: string, at: { score: number; id: string }, order: DlqOrder): boolean {
  const key = dlqOrderKey(dlqId);
  if (!key) return false;
  const later = key.score > at.score || (key.score === at.score && dlqId > at.id);
  const earlier = key.score < at.score || (key.score === at.score && dlqId < at.id);
  return order === "earliestFirst" ? later : earlier;
}
