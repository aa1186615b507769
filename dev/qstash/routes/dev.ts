import type { VirtualClock } from "../clock";
import type { Engine } from "../engine";
import { badRequest } from "../errors";
import { json, parseJsonObject, type Route } from "../http";

/** Loopback-only helpers for tests: health, billing counters, virtual clock, quiescence. */
export function devRoutes(engine: Engine, clock: VirtualClock): Route[] {
  const clockView = () => ({ now: clock.now(), offsetMs: clock.offset });
  return [
    {
      methods: ["GET"],
      pattern: /^\/__dev\/health\/?$/,
      public: true,
      handler: async () => json({ ok: true }),
    },
    {
      methods: ["GET"],
      pattern: /^\/__dev\/stats\/?$/,
      public: true,
      handler: async () => {
        const raw = await engine.store.redis.hgetall(engine.store.key("stats"));
        const byKind: Record<string, number> = {
          step: 0,
          call: 0,
          callback: 0,
          failure: 0,
          schedule: 0,
          other: 0,
        };
        const stats: Record<string, unknown> = { published: 0, delivered: 0, retried: 0, failed: 0 };
        for (const [field, value] of Object.entries(raw)) {
          if (field.startsWith("byKind:")) byKind[field.slice(7)] = Number(value);
          else stats[field] = Number(value);
        }
        return json({ ...stats, byKind });
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/__dev\/clock\/?$/,
      public: true,
      handler: async () => {
        await clock.load();
        return json(clockView());
      },
    },
    {
      methods: ["POST"],
      pattern: /^\/__dev\/clock\/advance\/?$/,
      public: true,
      handler: async (ctx) => {
        const body = parseJsonObject<{ ms: unknown; to: unknown; schedules: unknown }>(ctx);
        const catchUp = body.schedules ?? "latest";
        if (catchUp !== "latest" && catchUp !== "every-slot")
          throw badRequest(
            '"schedules" must be "latest" (default: each schedule fires once) or "every-slot"',
          );
        const ms =
          typeof body.ms === "number" && Number.isFinite(body.ms) && body.ms >= 0 ? body.ms : undefined;
        const to = typeof body.to === "number" && Number.isFinite(body.to) ? body.to : undefined;
        if (ms === undefined && to === undefined)
          throw badRequest('expected JSON {"ms": number >= 0} or {"to": epochMs}');
        // Set before the clock moves: a timer tick may run as soon as it has.
        if (engine.schedules) engine.schedules.catchUp = catchUp;
        try {
          if (ms !== undefined) await clock.advanceBy(ms);
          else await clock.advanceTo(to as number);
          await engine.scheduler.tickNow();
        } finally {
          if (engine.schedules) engine.schedules.catchUp = "latest";
        }
        return json(clockView());
      },
    },
    {
      methods: ["GET"],
      pattern: /^\/__dev\/pending\/?$/,
      public: true,
      handler: async () => json(await engine.pendingStats()),
    },
  ];
}
