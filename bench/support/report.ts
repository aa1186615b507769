/** What each benchmark hands back, and the markdown helpers the report is built with. */

export interface Target {
  /** The goal as stated in the issue. */
  target: string;
  measured: string;
  met: boolean | "not measured";
  /** Why, when not met (or what the figure means). */
  explanation?: string;
}

export interface BenchOutcome {
  /** Every figure, machine-readable (goes to latest.json). */
  figures: Record<string, unknown>;
  /** Markdown blocks (tables, notes) for latest.md. */
  markdown: string[];
  targets: Target[];
}

export interface Bench {
  name: string;
  title: string;
  /** What is measured and how, one paragraph for the report. */
  method: string;
  run(): Promise<BenchOutcome>;
}

export interface BenchResult extends BenchOutcome {
  name: string;
  title: string;
  method: string;
  seconds: number;
  /** When this section was measured (sections kept from an earlier run differ from the report's date). */
  measuredAt?: string;
  error?: string;
}

export function table(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.map(String).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

export function verdict(met: Target["met"]): string {
  if (met === "not measured") return "not measured";
  return met ? "met" : "**not met**";
}
