import type { Redis } from "@upstash/redis";
import { z } from "zod";
import { streamId } from "../streams/types";

const isoDate = z.iso.date();

export const persona = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,60}$/, "letters, digits and . _ - (at most 60)"),
  name: z.string().min(1).max(100),
  /** Streams this persona cares about; all when omitted. */
  streams: z.array(streamId).max(50).optional(),
  /** Receives each new batch as a JSON POST (through `context.call`, so QStash retries it). */
  webhookUrl: z.url().optional(),
});
export type Persona = z.infer<typeof persona>;

/** What Jeeves watches, kept in Redis so the dashboard or an API call can change it between runs. */
export const jeevesConfig = z.object({
  enabled: z.boolean().default(true),
  /** Why Jeeves is off, shown as the run's reason. */
  disabledReason: z.string().max(500).optional(),
  streams: z.array(streamId).min(1).max(10),
  /** Window of the statistics, anomalies and correlations; seasonality always uses the whole series. */
  window: z.object({ from: isoDate, to: isoDate }).optional(),
  personas: z.array(persona).max(20).default([]),
});
export type JeevesConfig = z.infer<typeof jeevesConfig>;
export type JeevesConfigInput = z.input<typeof jeevesConfig>;

export const DEFAULT_JEEVES_CONFIG: JeevesConfig = {
  enabled: true,
  streams: ["seattle.temp_max", "seattle.temp_min", "seattle.precipitation", "co2.ppm"],
  personas: [{ id: "analyst", name: "Analyst" }],
};

export function jeevesConfigKey(prefix = "ot"): string {
  return `${prefix}:jeeves:config`;
}

/** The stored configuration, or the defaults when none was saved. */
export async function loadJeevesConfig(redis: Redis, prefix?: string): Promise<JeevesConfig> {
  const stored = await redis.get<unknown>(jeevesConfigKey(prefix));
  return stored == null ? DEFAULT_JEEVES_CONFIG : jeevesConfig.parse(stored);
}

export async function saveJeevesConfig(
  redis: Redis,
  input: JeevesConfigInput,
  prefix?: string,
): Promise<JeevesConfig> {
  const config = jeevesConfig.parse(input);
  await redis.set(jeevesConfigKey(prefix), JSON.stringify(config));
  return config;
}
