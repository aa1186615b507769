import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Point, StreamMeta } from "./types";

/** A stream ready to load: its description and every point. */
export interface SeedSeries {
  meta: StreamMeta;
  points: Point[];
}

export class DatasetError extends Error {
  override name = "DatasetError";
}

const SEATTLE_SOURCE =
  "vega-datasets seattle-weather.csv (NOAA National Climatic Data Center), daily 2012–2015";
const STOCKS_SOURCE = "vega-datasets stocks.csv, monthly closing prices 2000–2010";
const CO2_SOURCE = "vega-datasets co2-concentration.csv (Scripps CO2 Program, Mauna Loa), monthly 1958–2020";

const SEATTLE_COLUMNS = [
  { column: "temp_max", name: "Seattle daily maximum temperature", unit: "°C" },
  { column: "temp_min", name: "Seattle daily minimum temperature", unit: "°C" },
  { column: "precipitation", name: "Seattle daily precipitation", unit: "mm" },
  { column: "wind", name: "Seattle daily wind speed", unit: "km/h" },
] as const;

/** The real series Overtime ships with: Seattle weather, five stock prices and Mauna Loa CO2. */
export async function loadReferenceSeries(dataDir = vegaDataDir()): Promise<SeedSeries[]> {
  const [seattle, stocks, co2] = await Promise.all(
    ["seattle-weather.csv", "stocks.csv", "co2-concentration.csv"].map((file) =>
      readCsv(path.join(dataDir, file)),
    ),
  );
  return [...seattleSeries(seattle ?? []), ...stockSeries(stocks ?? []), ...co2Series(co2 ?? [])];
}

function seattleSeries(rows: CsvRow[]): SeedSeries[] {
  return SEATTLE_COLUMNS.map(({ column, name, unit }) => ({
    meta: { id: `seattle.${column}`, name, unit, source: SEATTLE_SOURCE },
    points: rows.map((row) => ({ t: isoDay(field(row, "date")), v: numberIn(row, column) })),
  }));
}

function stockSeries(rows: CsvRow[]): SeedSeries[] {
  const bySymbol = new Map<string, CsvRow[]>();
  for (const row of rows) {
    const symbol = field(row, "symbol");
    bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), row]);
  }
  return [...bySymbol].map(([symbol, symbolRows]) => ({
    meta: {
      id: `stocks.${symbol.toLowerCase()}`,
      name: `${symbol} monthly stock price`,
      unit: "USD",
      source: STOCKS_SOURCE,
    },
    points: symbolRows.map((row) => ({ t: monthDayYear(field(row, "date")), v: numberIn(row, "price") })),
  }));
}

function co2Series(rows: CsvRow[]): SeedSeries[] {
  const series = (id: string, column: string, name: string, description: string): SeedSeries => ({
    meta: { id, name, unit: "ppm", description, source: CO2_SOURCE },
    points: rows.map((row) => ({ t: isoDay(field(row, "Date")), v: numberIn(row, column) })),
  });
  return [
    series("co2.ppm", "CO2", "Mauna Loa monthly CO2 concentration", "Monthly mean mole fraction."),
    series(
      "co2.adjusted",
      "adjusted CO2",
      "Mauna Loa monthly CO2, seasonally adjusted",
      "The seasonal cycle (a 4-harmonic fit) removed.",
    ),
  ];
}

type CsvRow = Record<string, string>;

/** The vega CSVs are plain (no quoting); anything else is refused rather than misread. */
export function parseCsv(text: string): CsvRow[] {
  const [header, ...lines] = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (!header) return [];
  if (text.includes('"')) throw new DatasetError("Quoted CSV fields are not supported.");
  const columns = header.split(",");
  return lines.map((line, index) => {
    const cells = line.split(",");
    if (cells.length !== columns.length) {
      throw new DatasetError(`Line ${index + 2} has ${cells.length} fields, the header ${columns.length}.`);
    }
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] as string]));
  });
}

async function readCsv(file: string): Promise<CsvRow[]> {
  try {
    return parseCsv(await readFile(file, "utf8"));
  } catch (error) {
    if (error instanceof DatasetError) throw new DatasetError(`${file}: ${error.message}`);
    throw new DatasetError(`Cannot read ${file} (is vega-datasets installed?): ${String(error)}`);
  }
}

function vegaDataDir(): string {
  // The package exports only its JS entry (build/index.js); the CSVs sit next to build/ in data/.
  const entry = createRequire(import.meta.url).resolve("vega-datasets");
  return path.join(path.dirname(entry), "..", "data");
}

function field(row: CsvRow, column: string): string {
  const value = row[column];
  if (value === undefined || value === "")
    throw new DatasetError(`Missing "${column}" in ${JSON.stringify(row)}.`);
  return value;
}

function numberIn(row: CsvRow, column: string): number {
  const value = Number(field(row, column));
  if (!Number.isFinite(value))
    throw new DatasetError(`"${column}" is not a number in ${JSON.stringify(row)}.`);
  return value;
}

/** "2012-01-31" → midnight UTC, ms. */
export function isoDay(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new DatasetError(`Not a YYYY-MM-DD date: "${text}".`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Jan 1 2000" (stocks.csv) → midnight UTC, ms. Date.parse would read it in the local timezone. */
export function monthDayYear(text: string): number {
  const [month, day, year] = text.split(" ");
  const monthIndex = MONTHS.indexOf(month ?? "");
  if (monthIndex < 0 || !day || !year) throw new DatasetError(`Not a "Mon D YYYY" date: "${text}".`);
  return Date.UTC(Number(year), monthIndex, Number(day));
}
