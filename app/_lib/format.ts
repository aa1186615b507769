/** Small display helpers shared by server and client components. */

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "—";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function formatRelative(at: number, now: number): string {
  const delta = now - at;
  const future = delta < 0;
  const seconds = Math.abs(delta) / 1000;
  const text =
    seconds < 5
      ? "now"
      : seconds < 60
        ? `${Math.round(seconds)} s`
        : seconds < 3600
          ? `${Math.round(seconds / 60)} min`
          : seconds < 172_800
            ? `${Math.round(seconds / 3600)} h`
            : `${Math.round(seconds / 86_400)} d`;
  if (text === "now") return text;
  return future ? `in ${text}` : `${text} ago`;
}

export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? "").length;
}

/** Run ids are long; the list shows the distinctive tail. */
export function shortId(id: string): string {
  return id.length > 18 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
}

/** Costs here are often fractions of a cent; show enough digits to tell them apart. */
export function formatDollars(dollars: number): string {
  if (dollars === 0) return "$0";
  if (dollars < 0.01) return `$${dollars.toPrecision(2)}`;
  return `$${dollars.toFixed(2)}`;
}
