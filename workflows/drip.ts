import type { Redis } from "@upstash/redis";
import { defineWorkflow, type KeyBuilder } from "overtime";
import { z } from "zod";
import { Inbox } from "@/app/_lib/inbox";
import { redis as appRedis } from "@/app/_lib/redis";

/** How long each wait lasts (Upstash duration strings). */
export const DRIP_WAITS = { afterWelcome: "3d", afterReminder: "7d" } as const;

/** The event a click sends: `POST /api/events/drip.clicked.<userId>` wakes the user's drip. */
export const clickedEventId = (userId: string) => `drip.clicked.${userId}`;

export type DripStatus = "welcomed" | "reminded" | "engaged" | "dormant";

const input = z.object({
  // No `/ ? # %`: the id becomes part of an event id, and QStash puts those in URL paths.
  userId: z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/, "letters, digits and . _ : @ - (at most 100)"),
  name: z.string().min(1).max(100).optional(),
});

const output = z.object({
  userId: z.string(),
  outcome: z.enum(["engaged", "dormant"]),
  /** Which message the user clicked; null when dormant. */
  clickedAfter: z.enum(["welcome", "reminder"]).nullable(),
  messages: z.array(z.string()),
});

export interface DripDependencies {
  redis: () => Redis;
}

/**
 * The email-drip shape of durable execution: welcome → wait up to 3 days for a click → reminder →
 * wait 7 more days → engaged (clicked) or dormant. Messages go to the in-app inbox; the user's drip status
 * is kept in Redis (`dripStatus`). A click during either wait ends the drip as engaged.
 */
export function createDripWorkflow({ redis }: DripDependencies) {
  const inbox = () => new Inbox(redis());
  const setStatus = (key: KeyBuilder, userId: string, status: DripStatus, runId: string) =>
    redis().hset(dripStatusKey(key, userId), { status, runId, updatedAt: Date.now() });

  return defineWorkflow({
    name: "drip",
    description: "Welcome, wait for a click, remind, then mark the user engaged or dormant.",
    input,
    output,
    async handler({ context, input: { userId, name }, runId, key }) {
      const eventId = clickedEventId(userId);
      const send = async (kind: "welcome" | "reminder", subject: string, status: DripStatus) => {
        const { message } = await inbox().send(userId, {
          id: `${runId}:${kind}`,
          kind,
          subject,
          body: `Click to continue (event ${eventId}).`,
          data: { eventId },
        });
        await setStatus(key, userId, status, runId);
        return message.id;
      };
      const finish = (clickedAfter: "welcome" | "reminder" | null, messages: string[]) =>
        context.run(clickedAfter ? "mark-engaged" : "mark-dormant", async () => {
          const outcome = clickedAfter ? "engaged" : "dormant";
          await setStatus(key, userId, outcome, runId);
          return { userId, outcome, clickedAfter, messages } as const;
        });

      const welcome = await context.run("send-welcome", () =>
        send("welcome", `Welcome${name ? `, ${name}` : ""}!`, "welcomed"),
      );
      const first = await context.waitForEvent("wait-for-click", eventId, {
        timeout: DRIP_WAITS.afterWelcome,
      });
      if (!first.timeout) return finish("welcome", [welcome]);

      const reminder = await context.run("send-reminder", () =>
        send("reminder", "Still there? Your account is waiting.", "reminded"),
      );
      const second = await context.waitForEvent("wait-for-click-after-reminder", eventId, {
        timeout: DRIP_WAITS.afterReminder,
      });
      return finish(second.timeout ? null : "reminder", [welcome, reminder]);
    },
  });
}

export function dripStatusKey(key: KeyBuilder, userId: string): string {
  return key("drip", userId);
}

/** The user's drip status as the workflow last wrote it. */
export async function dripStatus(
  redis: Redis,
  key: KeyBuilder,
  userId: string,
): Promise<{ status: DripStatus; runId: string; updatedAt: number } | null> {
  return redis.hgetall(dripStatusKey(key, userId));
}

export const drip = createDripWorkflow({ redis: appRedis });
