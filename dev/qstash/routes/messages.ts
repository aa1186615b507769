import type { Engine } from "../engine";
import { badRequest, notFound } from "../errors";
import { assertKnownFilters, eventMatches, messageMatches } from "../filters";
import { headersFromJson, json, multiValues, parseJsonBody, type Route, rawDestination } from "../http";
import { buildMessage, messageView } from "../message";
import { Queues } from "../queues";

interface BatchItem {
  destination?: string;
  headers?: Record<string, string>;
  body?: string;
  queue?: string;
}

/** QStash answers 202 to a deduplicated single publish (docs), 200 otherwise. */
function publishReply(result: Awaited<ReturnType<Engine["publishToDestination"]>>) {
  return json(result, !Array.isArray(result) && result.deduplicated ? 202 : 200);
}

export function messageRoutes(engine: Engine): Route[] {
  return [
    {
      methods: ["POST"],
      pattern: /^\/v2\/publish\/(.+)$/,
      handler: async (ctx) => {
        const destination = rawDestination(ctx, ctx.params[0] ?? "");
        return publishReply(
          await engine.publishToDestination(destination, {
            headers: ctx.headers,
            body: ctx.body,
            callerIp: ctx.callerIp,
          }),
        );
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/enqueue\/([^/]+)\/(.+)$/,
      handler: async (ctx) => {
        const queueName = decodeURIComponent(ctx.params[0] ?? "");
        Queues.validateName(queueName);
        const destination = rawDestination(ctx, ctx.params[1] ?? "");
        return publishReply(
          await engine.publishToDestination(destination, {
            headers: ctx.headers,
            body: ctx.body,
            callerIp: ctx.callerIp,
            queueName,
          }),
        );
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/batch\/?$/,
      handler: async (ctx) => {
        const items = parseJsonBody<BatchItem[]>(ctx);
        if (!Array.isArray(items)) throw badRequest("batch request body must be a JSON array");
        // Validated against the virtual clock: a not-before up to the maximum delay ahead is fine.
        const nowMs = engine.clock.now();
        const prepared = items.map((item, index) => {
          if (
            !item ||
            typeof item !== "object" ||
            typeof item.destination !== "string" ||
            item.destination === ""
          ) {
            throw badRequest(`invalid batch item ${index}: destination is required`);
          }
          const headers = headersFromJson(item.headers, `invalid batch item ${index}`);
          if (item.body !== undefined && typeof item.body !== "string") {
            throw badRequest(`invalid batch item ${index}: body must be a string`);
          }
          const body = Buffer.from(item.body ?? "");
          engine.checkSize(body.length);
          if (item.queue) Queues.validateName(item.queue);
          if (/^https?:\/\//i.test(item.destination)) {
            buildMessage({
              destination: item.destination,
              headers,
              body,
              callerIp: ctx.callerIp,
              nowMs,
              limits: engine.limits,
            });
          }
          return { destination: item.destination, headers, body, queue: item.queue };
        });
        const results = [];
        for (const item of prepared) {
          results.push(
            await engine.publishToDestination(item.destination, {
              headers: item.headers,
              body: item.body,
              callerIp: ctx.callerIp,
              ...(item.queue ? { queueName: item.queue } : {}),
            }),
          );
        }
        return json(results);
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/messages\/([^/]+)$/,
      handler: async (ctx) => {
        const message = await engine.getMessage(ctx.params[0] ?? "");
        if (!message) throw notFound(`message ${ctx.params[0]} not found`);
        return json(messageView(message));
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/messages\/([^/]+)$/,
      handler: async (ctx) => {
        const id = ctx.params[0] ?? "";
        if (!(await engine.getMessage(id))) throw notFound(`message ${id} not found`);
        return json({ cancelled: await engine.cancelMessages([id]) });
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/messages\/?$/,
      handler: async (ctx) => {
        assertKnownFilters(ctx.query, "messages");
        const ids = multiValues(ctx.query, "messageIds");
        if (ids.length > 0 && [...ctx.query.keys()].every((name) => name === "messageIds"))
          return json({ cancelled: await engine.cancelMessages(ids) });
        const count = Number(ctx.query.get("count") ?? Number.POSITIVE_INFINITY);
        let cancelled = 0;
        for (const id of await engine.pendingMessageIds()) {
          if (cancelled >= count) break;
          const message = await engine.getMessage(id);
          if (message && !message.workflow && messageMatches(message, ctx.query))
            cancelled += await engine.cancelMessages([id]);
        }
        return json({ cancelled });
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/(?:events|logs)\/?$/,
      handler: async (ctx) => {
        assertKnownFilters(ctx.query, "logs");
        const count = Math.min(1000, Number(ctx.query.get("count") ?? 100) || 100);
        const offset = Number(ctx.query.get("cursor") ?? 0) || 0;
        const raw = await engine.store.redis.lrange(engine.store.key("events"), 0, -1);
        const events = raw
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((event) => eventMatches(event, ctx.query));
        const page = events.slice(offset, offset + count);
        // No cursor on the last page (the SDK's loops stop on a missing cursor).
        const more = offset + count < events.length;
        return json(
          more ? { cursor: String(offset + count), events: page, logs: page } : { events: page, logs: page },
        );
      },
    },
  ];
}
