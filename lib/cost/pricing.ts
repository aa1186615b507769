import { z } from "zod";
import { OvertimeError } from "../errors";

/** Dollars per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface PriceTable {
  /** QStash pay-as-you-go: $1 per 100,000 messages. */
  qstashPerMessage: number;
  /** Upstash Redis pay-as-you-go: $0.20 per 100,000 commands. */
  redisPerCommand: number;
  /** By model id as the provider reports it; a model not listed costs 0 (and is flagged). */
  models: Record<string, ModelPrice>;
}

export const DEFAULT_PRICES: PriceTable = {
  qstashPerMessage: 1 / 100_000,
  redisPerCommand: 0.2 / 100_000,
  models: {
    "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
    "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
    "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
  },
};

const priceOverrides = z.object({
  qstashPerMessage: z.number().nonnegative().optional(),
  redisPerCommand: z.number().nonnegative().optional(),
  models: z
    .record(
      z.string(),
      z.object({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() }),
    )
    .optional(),
});

export type PriceOverrides = z.infer<typeof priceOverrides>;

export class PriceTableError extends OvertimeError {
  static override readonly code = "price_table_invalid";
  constructor(message: string) {
    super(PriceTableError.code, message);
  }
}

/** The default table with overrides applied (models are merged by id). */
export function priceTable(overrides: PriceOverrides = {}): PriceTable {
  return {
    qstashPerMessage: overrides.qstashPerMessage ?? DEFAULT_PRICES.qstashPerMessage,
    redisPerCommand: overrides.redisPerCommand ?? DEFAULT_PRICES.redisPerCommand,
    models: { ...DEFAULT_PRICES.models, ...overrides.models },
  };
}

/** Parses `OVERTIME_PRICES` (JSON overrides); empty text = the defaults. */
export function parsePrices(text: string | undefined): PriceTable {
  if (!text?.trim()) return priceTable();
  try {
    return priceTable(priceOverrides.parse(JSON.parse(text)));
  } catch (error) {
    throw new PriceTableError(
      `Invalid price table (${(error as Error).message}); expected JSON like ` +
        '{"models":{"gpt-4o-mini":{"inputPerMillion":0.15,"outputPerMillion":0.6}}}.',
    );
  }
}

/** A model id as the provider returned it may carry a suffix (dates, the dev model's note). */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  if (table.models[model]) return table.models[model];
  const base = Object.keys(table.models)
    .filter((id) => model.startsWith(id))
    .sort((a, b) => b.length - a.length)[0];
  return base ? table.models[base] : undefined;
}
