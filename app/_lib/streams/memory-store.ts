import {
  type AppendResult,
  checkPoints,
  type Point,
  type RangeQuery,
  type StreamMeta,
  StreamNotFoundError,
  type StreamStore,
  type StreamSummary,
} from "./types";

/** A `StreamStore` in process memory: for tests, scripts and as the reference of the contract. */
export class MemoryStreamStore implements StreamStore {
  private readonly metas = new Map<string, StreamMeta>();
  private readonly series = new Map<string, Map<number, number>>();

  async defineStream(meta: StreamMeta): Promise<void> {
    this.metas.set(meta.id, { ...meta });
    if (!this.series.has(meta.id)) this.series.set(meta.id, new Map());
  }

  async listStreams(): Promise<StreamSummary[]> {
    return [...this.metas.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((meta) => {
        const points = this.sorted(meta.id);
        return { ...meta, count: points.length, firstAt: points[0]?.t, lastAt: points.at(-1)?.t };
      });
  }

  async append(id: string, points: readonly Point[]): Promise<AppendResult> {
    checkPoints(points);
    const values = this.values(id);
    const result: AppendResult = { added: 0, replaced: 0 };
    for (const { t, v } of points) {
      const existing = values.get(t);
      if (existing === undefined) result.added++;
      else if (existing !== v) result.replaced++;
      values.set(t, v);
    }
    return result;
  }

  async range(id: string, { from = -Infinity, to = Infinity, limit }: RangeQuery = {}): Promise<Point[]> {
    const inRange = this.sorted(id).filter((p) => p.t >= from && p.t <= to);
    return limit === undefined ? inRange : inRange.slice(0, limit);
  }

  async recent(id: string, count: number): Promise<Point[]> {
    return count <= 0 ? [] : this.sorted(id).slice(-count);
  }

  private values(id: string): Map<number, number> {
    const values = this.series.get(id);
    if (!values) throw new StreamNotFoundError(id);
    return values;
  }

  private sorted(id: string): Point[] {
    return [...this.values(id)].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
  }
}
