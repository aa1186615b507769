import { Cron } from "croner";

export interface FireTimes {
  /** The schedule's IANA timezone (QStash's `CRON_TZ=` prefix), UTC without one. */
  timezone: string;
  /** The cron without its timezone prefix. */
  expression: string;
  times: Date[];
}

/** The next `count` times a QStash cron (`[CRON_TZ=<zone> ]<5 fields>`) fires after `from`. */
export function nextFireTimes(cron: string, count = 5, from = new Date()): FireTimes {
  const match = /^(?:CRON_)?TZ=(\S+)\s+(.+)$/.exec(cron.trim());
  const timezone = match?.[1] ?? "UTC";
  const expression = (match?.[2] ?? cron).trim();
  const job = new Cron(expression, { timezone, paused: true });
  return { timezone, expression, times: job.nextRuns(count, from) };
}

/** A fire time as the schedule's timezone sees it, e.g. "Mon 24 Nov, 09:00". */
export function formatInZone(date: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(date);
}
