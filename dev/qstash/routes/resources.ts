import type { Engine } from "../engine";
import { badRequest, notFound } from "../errors";
import { json, parseJsonObject, type RequestContext, type Route, rawDestination } from "../http";
import { type Schedules, scheduleView } from "../schedules";
import type { TopicEndpoint } from "../topics";

const ok = () => json({});

async function queueLag(engine: Engine, name: string): Promise<number> {
  let lag = 0;
  for (const id of await engine.pendingMessageIds()) {
    const message = await engine.getMessage(id);
    if (message?.queueName === name) lag++;
  }
  return lag;
}

export function queueRoutes(engine: Engine): Route[] {
  const view = async (name: string) => {
    const queue = await engine.queues.get(name);
    if (!queue) throw notFound(`queue ${name} not found`);
    return { ...queue, lag: await queueLag(engine, name) };
  };
  const queueName = (ctx: RequestContext) => decodeURIComponent(ctx.params[0] ?? "");
  return [
    {
      methods: ["POST"],
      pattern: /^\/v2\/queues\/?$/,
      handler: async (ctx) => {
        const body = parseJsonObject<{ queueName: string; parallelism: number; paused: boolean }>(ctx);
        if (typeof body.queueName !== "string" || body.queueName === "")
          throw badRequest("queueName is required");
        if (body.paused !== undefined && typeof body.paused !== "boolean")
          throw badRequest("paused must be a boolean");
        if (body.parallelism !== undefined && (!Number.isInteger(body.parallelism) || body.parallelism < 0)) {
          throw badRequest("parallelism must be a non-negative integer");
        }
        const change: { parallelism?: number; paused?: boolean } = {};
        if (body.parallelism !== undefined) change.parallelism = body.parallelism;
        if (body.paused !== undefined) change.paused = body.paused;
        await engine.queues.upsert(body.queueName, change);
        engine.scheduler.wake();
        return ok();
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/queues\/?$/,
      handler: async () => {
        const queues = await engine.queues.list();
        return json(await Promise.all(queues.map((q) => view(q.name))));
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/queues\/([^/]+)$/,
      handler: async (ctx) => json(await view(queueName(ctx))),
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/queues\/([^/]+)$/,
      handler: async (ctx) => {
        await engine.queues.remove(queueName(ctx));
        return ok();
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/queues\/([^/]+)\/(pause|resume)$/,
      handler: async (ctx) => {
        const name = queueName(ctx);
        if (!(await engine.queues.get(name))) throw notFound(`queue ${name} not found`);
        await engine.queues.upsert(name, { paused: ctx.params[1] === "pause" });
        engine.scheduler.wake();
        return ok();
      },
    },
  ];
}

export function scheduleRoutes(_engine: Engine, schedules: Schedules): Route[] {
  const id = (ctx: RequestContext) => decodeURIComponent(ctx.params[0] ?? "");
  return [
    {
      methods: ["POST"],
      pattern: /^\/v2\/schedules\/(.+)$/,
      handler: async (ctx) => {
        const destination = rawDestination(ctx, ctx.params[0] ?? "");
        if (/^[^/]+\/(pause|resume)$/.test(destination)) return pauseResume(ctx, destination);
        const scheduleId = await schedules.create(destination, ctx.headers, ctx.body, ctx.callerIp);
        return json({ scheduleId });
      },
    },
    {
      methods: ["PATCH"],
      pattern: /^\/v2\/schedules\/([^/]+\/(?:pause|resume))$/,
      handler: (ctx) => pauseResume(ctx, ctx.params[0] ?? ""),
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/schedules\/?$/,
      handler: async () => json((await schedules.list()).map(scheduleView)),
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/schedules\/([^/]+)$/,
      handler: async (ctx) => {
        const record = await schedules.get(id(ctx));
        if (!record) throw notFound(`schedule ${id(ctx)} not found`);
        return json(scheduleView(record));
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/schedules\/([^/]+)$/,
      handler: async (ctx) => {
        await schedules.remove(id(ctx));
        return ok();
      },
    },
  ];

  async function pauseResume(_ctx: RequestContext, target: string) {
    const [scheduleId = "", action] = target.split("/");
    const found = await schedules.setPaused(decodeURIComponent(scheduleId), action === "pause");
    if (!found) throw notFound(`schedule ${scheduleId} not found`);
    return ok();
  }
}

export function topicRoutes(engine: Engine): Route[] {
  const name = (ctx: RequestContext) => decodeURIComponent(ctx.params[0] ?? "");
  const endpointsOf = (ctx: RequestContext) => {
    const body = parseJsonObject<{ endpoints: TopicEndpoint[] }>(ctx);
    if (!Array.isArray(body.endpoints)) throw badRequest("endpoints array is required");
    for (const endpoint of body.endpoints) {
      const valid =
        endpoint !== null &&
        typeof endpoint === "object" &&
        (endpoint.url === undefined || typeof endpoint.url === "string") &&
        (endpoint.name === undefined || typeof endpoint.name === "string");
      if (!valid) throw badRequest("each endpoint must be an object {url, name?}");
    }
    return body.endpoints;
  };
  return [
    {
      methods: ["POST"],
      pattern: /^\/v2\/topics\/([^/]+)\/endpoints$/,
      handler: async (ctx) => {
        await engine.topics.addEndpoints(name(ctx), endpointsOf(ctx));
        return ok();
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/topics\/([^/]+)\/endpoints$/,
      handler: async (ctx) => {
        await engine.topics.removeEndpoints(name(ctx), endpointsOf(ctx));
        return ok();
      },
    },
    { methods: ["GET"], pattern: /^\/v2\/topics\/?$/, handler: async () => json(await engine.topics.list()) },
    {
      methods: ["GET"],
      pattern: /^\/v2\/topics\/([^/]+)$/,
      handler: async (ctx) => {
        const topic = await engine.topics.get(name(ctx));
        if (!topic) throw notFound(`topic ${name(ctx)} not found`);
        return json(topic);
      },
    },
    {
      methods: ["DELETE"],
      pattern: /^\/v2\/topics\/([^/]+)$/,
      handler: async (ctx) => {
        await engine.topics.remove(name(ctx));
        return ok();
      },
    },
  ];
}

export function flowControlRoutes(engine: Engine): Route[] {
  const key = (ctx: RequestContext) => decodeURIComponent(ctx.params[0] ?? "");
  const waitList = async (flowKey: string) => {
    let count = 0;
    const now = engine.clock.now();
    for (const id of await engine.pendingMessageIds()) {
      const message = await engine.getMessage(id);
      if (message?.flowControl?.key === flowKey && Math.max(message.notBefore, message.createdAt) <= now)
        count++;
    }
    return count;
  };
  const optionalNumber = (ctx: RequestContext, name: string) => {
    const value = ctx.query.get(name);
    if (value === null || value === "") return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw badRequest(`invalid ${name}: ${value}`);
    return parsed;
  };
  return [
    {
      methods: ["GET"],
      pattern: /^\/v2\/flowControl\/?$/,
      handler: async () => {
        const keys = await engine.flow.allKeys();
        return json(await Promise.all(keys.sort().map(async (k) => engine.flow.view(k, await waitList(k)))));
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/flowControl\/([^/]+)$/,
      handler: async (ctx) => json(await engine.flow.view(key(ctx), await waitList(key(ctx)))),
    },
    {
      methods: ["GET"],
      pattern: /^\/v2\/globalParallelism\/?$/,
      handler: async () => json({ parallelismMax: 0, parallelismCount: await engine.flow.totalInFlight() }),
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/flowControl\/([^/]+)\/(pause|resume|pin|unpin|resetRate)$/,
      handler: async (ctx) => {
        const flowKey = key(ctx);
        const action = ctx.params[1];
        if (action === "resetRate") await engine.flow.resetRate(flowKey);
        else
          await engine.flow.update(flowKey, (current) => {
            const next = { ...current };
            if (action === "pause") next.paused = true;
            if (action === "resume") next.paused = false;
            if (action === "pin") {
              const parallelism = optionalNumber(ctx, "parallelism");
              const rate = optionalNumber(ctx, "rate");
              const period = optionalNumber(ctx, "period");
              if (parallelism !== undefined) next.pinnedParallelism = parallelism;
              if (rate !== undefined) next.pinnedRate = rate;
              if (period !== undefined) next.pinnedPeriod = period;
            }
            if (action === "unpin") {
              if (ctx.query.get("parallelism") === "true") delete next.pinnedParallelism;
              if (ctx.query.get("rate") === "true") {
                delete next.pinnedRate;
                delete next.pinnedPeriod;
              }
            }
            return next;
          });
        engine.scheduler.wake();
        return ok();
      },
    },
  ];
}
