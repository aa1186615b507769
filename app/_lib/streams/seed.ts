import { loadReferenceSeries, type SeedSeries } from "./datasets";
import type { StreamStore } from "./types";

export interface SeedReport {
  streams: number;
  /** Points newly stored (0 when the data was already there). */
  added: number;
  replaced: number;
}

/** Loads `series` (the bundled reference data by default). Idempotent: re-running stores nothing twice. */
export async function seedStreams(store: StreamStore, series?: SeedSeries[]): Promise<SeedReport> {
  const all = series ?? (await loadReferenceSeries());
  const report: SeedReport = { streams: all.length, added: 0, replaced: 0 };
  for (const { meta, points } of all) {
    await store.defineStream(meta);
    const result = await store.append(meta.id, points);
    report.added += result.added;
    report.replaced += result.replaced;
  }
  return report;
}

/** Seeds only a store without any stream, so a dev's own data is never mixed with the samples. */
export async function seedIfEmpty(
  store: StreamStore,
  series?: SeedSeries[],
): Promise<SeedReport | undefined> {
  if ((await store.listStreams()).length > 0) return undefined;
  return seedStreams(store, series);
}
