import { createHash } from "node:crypto";
import type { Redis } from "@upstash/redis";
import { storedJson } from "overtime";
import { z } from "zod";
import type { Correlation, Seasonality, StreamAnalysis, Window } from "./analysis";

export const discoveryKind = z.enum(["statistics", "trend", "anomalies", "correlation", "seasonality"]);

const figure = z.union([z.number(), z.string(), z.null()]);

/** A finding with the figures it rests on; `id` hashes its content, so re-finding it is not news. */
export const discovery = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  kind: discoveryKind,
  streams: z.array(z.string()).min(1).max(2),
  title: z.string().min(1).max(300),
  figures: z.record(z.string(), figure),
  window: z.object({ from: z.string().optional(), to: z.string().optional() }),
  /** The agent's prose about this phase (a model's words; the figures are the facts). */
  narrative: z.string().max(4_000),
});
export type Discovery = z.infer<typeof discovery>;

export interface StoredDiscovery extends Discovery {
  firstSeenAt: number;
  firstSeenRunId: string;
}

/** Thresholds under which a figure is not worth anyone's attention. */
export const NOTEWORTHY = { trendR2: 0.3, correlation: 0.5, correlationMinN: 30, seasonality: 0.3 } as const;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const day = (iso?: string) => iso?.slice(0, 10);

type Draft = Omit<Discovery, "id" | "narrative">;

export interface DiscoveryInputs {
  analyses: StreamAnalysis[];
  correlations: Correlation[];
  seasonality: Array<Seasonality | null>;
  window: Window;
  units: Record<string, string | undefined>;
  narratives: { statistics: string; patterns: string };
}

/** Builds the discoveries from the analyses' figures (deterministic), validated by the schema. */
export function combineDiscoveries(inputs: DiscoveryInputs): Discovery[] {
  const unit = (stream: string) => (inputs.units[stream] ? ` ${inputs.units[stream]}` : "");
  const drafts: Array<{ draft: Draft; phase: "statistics" | "patterns" }> = [
    ...inputs.analyses.flatMap((a) =>
      streamDrafts(a, unit(a.stream)).map((draft) => ({ draft, phase: "statistics" as const })),
    ),
    ...inputs.correlations
      .flatMap((c) => correlationDraft(c, inputs.window))
      .map((draft) => ({ draft, phase: "patterns" as const })),
    ...inputs.seasonality
      .flatMap((s) => (s ? seasonalityDraft(s) : []))
      .map((draft) => ({ draft, phase: "patterns" as const })),
  ];
  return drafts.map(({ draft, phase }) =>
    discovery.parse({
      ...draft,
      id: contentHash(draft),
      narrative: inputs.narratives[phase].slice(0, 4_000),
    }),
  );
}

function streamDrafts(a: StreamAnalysis, unit: string): Draft[] {
  const window = { from: day(a.firstAt), to: day(a.lastAt) };
  const span = `${window.from} to ${window.to}`;
  const drafts: Draft[] = [
    {
      kind: "statistics",
      streams: [a.stream],
      title: `${a.stream}: mean ${round(a.mean)}${unit} (sd ${a.sd === null ? "n/a" : round(a.sd)}, min ${a.min}, max ${a.max}, n=${a.count}), ${span}`,
      figures: { mean: a.mean, sd: a.sd, min: a.min, max: a.max, count: a.count },
      window,
    },
  ];
  if (a.r2 !== null && a.r2 >= NOTEWORTHY.trendR2) {
    drafts.push({
      kind: "trend",
      streams: [a.stream],
      title: `${a.stream}: trend ${round(a.slopePerYear, 3)}${unit} per year (r² ${round(a.r2)}), ${span}`,
      figures: { slopePerYear: a.slopePerYear, r2: a.r2 },
      window,
    });
  }
  const largest = a.anomalies.largest;
  if (largest) {
    drafts.push({
      kind: "anomalies",
      streams: [a.stream],
      title: `${a.stream}: ${a.anomalies.total} ${a.anomalies.total === 1 ? "point" : "points"} with |z| ≥ 3, the largest ${largest.value}${unit} on ${day(largest.at)} (z ${round(largest.z)}), ${span}`,
      figures: {
        total: a.anomalies.total,
        largestAt: largest.at,
        largestValue: largest.value,
        largestZ: largest.z,
      },
      window,
    });
  }
  return drafts;
}

function correlationDraft(c: Correlation, window: Window): Draft[] {
  if (Math.abs(c.r) < NOTEWORTHY.correlation || c.n < NOTEWORTHY.correlationMinN) return [];
  return [
    {
      kind: "correlation",
      streams: [c.a, c.b],
      title: `${c.a} and ${c.b} move together: Pearson r ${round(c.r, 3)} over ${c.n} shared points`,
      figures: { r: c.r, n: c.n },
      window: { ...window },
    },
  ];
}

function seasonalityDraft(s: Seasonality): Draft[] {
  if (s.strength < NOTEWORTHY.seasonality) return [];
  return [
    {
      kind: "seasonality",
      streams: [s.stream],
      title: `${s.stream} repeats every ${round(s.periodDays, 1)} days (lag ${s.lag}, autocorrelation ${round(s.strength, 3)})`,
      figures: { lag: s.lag, periodDays: s.periodDays, strength: s.strength },
      window: {},
    },
  ];
}

/** First 16 hex digits of SHA-256 over the draft's canonical JSON (keys sorted). */
export function contentHash(draft: Draft): string {
  return createHash("sha256").update(canonicalJson(draft)).digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Discoveries in Redis: a hash by content hash plus a sorted set by first sighting. */
export class DiscoveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "ot",
  ) {}

  /** Stores the ones not seen before (HSETNX per id, one pipeline); returns those that are new. */
  async save(found: Discovery[], runId: string, now = Date.now()): Promise<StoredDiscovery[]> {
    if (found.length === 0) return [];
    const stored = found.map((d): StoredDiscovery => ({ ...d, firstSeenAt: now, firstSeenRunId: runId }));
    const pipeline = this.redis.pipeline();
    for (const d of stored) pipeline.hsetnx(this.keys.byId, d.id, JSON.stringify(d));
    for (const d of stored) pipeline.zadd(this.keys.index, { nx: true }, { score: now, member: d.id });
    const results = (await pipeline.exec()) as number[];
    return stored.filter((_, index) => results[index] === 1);
  }

  /** Newest first. */
  async list({
    limit = 50,
    kind,
  }: {
    limit?: number;
    kind?: Discovery["kind"];
  } = {}): Promise<StoredDiscovery[]> {
    const ids = await this.redis.zrange<string[]>(this.keys.index, 0, -1, { rev: true });
    if (ids.length === 0) return [];
    const values = await this.redis.hmget<Record<string, unknown>>(this.keys.byId, ...ids.map(String));
    return ids
      .map((id) => values?.[String(id)])
      .filter((value) => value != null)
      .map((value) => storedJson<StoredDiscovery>(value))
      .filter((d) => !kind || d.kind === kind)
      .slice(0, limit);
  }

  private get keys() {
    return { byId: `${this.prefix}:jeeves:discoveries`, index: `${this.prefix}:jeeves:discoveries:index` };
  }
}
