import { expect, it } from "vitest";
import { StreamNotFoundError, type StreamStore } from "@/app/_lib/streams/types";

/** The `StreamStore` contract, run against every implementation. */
export function storeContract(makeStore: () => Promise<StreamStore> | StreamStore): void {
  const meta = { id: "sensor.a", name: "Sensor A", unit: "°C" };

  it("appends, reads ranges and the latest points, oldest first", async () => {
    const store = await makeStore();
    await store.defineStream(meta);
    expect(
      await store.append(
        meta.id,
        [3, 1, 2, 5, 4].map((t) => ({ t: t * 1000, v: t / 2 })),
      ),
    ).toEqual({
      added: 5,
      replaced: 0,
    });
    expect(await store.range(meta.id)).toEqual([1, 2, 3, 4, 5].map((t) => ({ t: t * 1000, v: t / 2 })));
    expect(await store.range(meta.id, { from: 2000, to: 4000 })).toEqual([
      { t: 2000, v: 1 },
      { t: 3000, v: 1.5 },
      { t: 4000, v: 2 },
    ]);
    expect(await store.range(meta.id, { from: 2000, limit: 2 })).toEqual([
      { t: 2000, v: 1 },
      { t: 3000, v: 1.5 },
    ]);
    expect(await store.recent(meta.id, 2)).toEqual([
      { t: 4000, v: 2 },
      { t: 5000, v: 2.5 },
    ]);
    expect(await store.recent(meta.id, 0)).toEqual([]);
  });

  it("stores a repeated point once and keeps one value per timestamp", async () => {
    const store = await makeStore();
    await store.defineStream(meta);
    const batch = [
      { t: 1, v: -1.5 },
      { t: 2, v: 0 },
    ];
    await store.append(meta.id, batch);
    expect(await store.append(meta.id, batch)).toEqual({ added: 0, replaced: 0 });
    expect(await store.append(meta.id, [{ t: 2, v: 7 }])).toEqual({ added: 0, replaced: 1 });
    expect(await store.range(meta.id)).toEqual([
      { t: 1, v: -1.5 },
      { t: 2, v: 7 },
    ]);
  });

  it("lists streams with counts and spans", async () => {
    const store = await makeStore();
    await store.defineStream({ ...meta, id: "b.empty", name: "Empty" });
    await store.defineStream(meta);
    await store.append(meta.id, [
      { t: 10, v: 1 },
      { t: 30, v: 2 },
    ]);
    await store.defineStream({ ...meta, name: "Sensor A, renamed" });
    expect(await store.listStreams()).toEqual([
      { id: "b.empty", name: "Empty", unit: "°C", count: 0, firstAt: undefined, lastAt: undefined },
      { ...meta, name: "Sensor A, renamed", count: 2, firstAt: 10, lastAt: 30 },
    ]);
  });

  it("refuses unknown streams and invalid points", async () => {
    const store = await makeStore();
    await expect(store.range("nope")).rejects.toThrow(StreamNotFoundError);
    await expect(store.recent("nope", 3)).rejects.toThrow(StreamNotFoundError);
    await expect(store.append("nope", [{ t: 1, v: 1 }])).rejects.toThrow(StreamNotFoundError);
    await expect(store.append("nope", [])).rejects.toThrow(StreamNotFoundError);
    await store.defineStream(meta);
    await expect(store.append(meta.id, [{ t: 1, v: Number.NaN }])).rejects.toThrow(/finite/);
  });
}
