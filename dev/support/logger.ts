import { styleText } from "node:util";

type Color = Parameters<typeof styleText>[0];

const COLORS: Record<string, Color> = {
  stack: "bold",
  redis: "red",
  "redis-rest": "magenta",
  qstash: "cyan",
  model: "yellow",
  next: "green",
};

const width = Math.max(...Object.keys(COLORS).map((name) => name.length));

/** Writes `line` to stderr behind a coloured, aligned `[service]` prefix. */
export function logLine(service: string, line: string): void {
  const color = COLORS[service] ?? "white";
  const prefix = styleText(color, `${service.padEnd(width)} |`);
  process.stderr.write(`${prefix} ${line}\n`);
}

/** A line sink for one service, e.g. to pass as a stand-in's `onLog`. */
export function serviceLogger(service: string): (line: string) => void {
  return (line) => logLine(service, line);
}
