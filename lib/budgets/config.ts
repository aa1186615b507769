import { z } from "zod";
import { OvertimeError } from "../errors";

/** Limits of one tenant of a model (a customer id, a workflow...): each one optional. */
export interface TenantLimits {
  tokensPerMinute?: number;
  requestsPerMinute?: number;
  /** Dollars the tenant may spend on this model per UTC day (list prices); over it, its runs pause. */
  dollarsPerDay?: number;
}

/**
 * A token and request budget for one model, shared by every run: what the provider allows the API
 * key (e.g. an OpenAI tier's TPM and RPM). A run with a tenant is held to the model's budget and to
 * its tenant's: `tenants[name]`, else `perTenant`, else the model's own limits.
 */
export interface BudgetLimits {
  tokensPerMinute?: number;
  requestsPerMinute?: number;
  /** Limits for any tenant not listed in `tenants`. */
  perTenant?: TenantLimits;
  tenants?: Record<string, TenantLimits>;
  /** No longer used (budgets are sliding-minute ledgers now, a whole minute may go at once); accepted so old settings still parse. */
  burstShare?: number;
}

/** Budgets by model id (as passed to the provider, e.g. "gpt-4o-mini"). */
export type BudgetConfig = Record<string, BudgetLimits>;

const perMinute = z.number().int().positive().optional();

const tenantSchema = z.object({
  tokensPerMinute: perMinute,
  requestsPerMinute: perMinute,
  dollarsPerDay: z.number().positive().optional(),
});

const limitsSchema = z.object({
  tokensPerMinute: perMinute,
  requestsPerMinute: perMinute,
  perTenant: tenantSchema.optional(),
  tenants: z.record(z.string().min(1), tenantSchema).optional(),
  burstShare: z.number().gt(0).max(1).optional(),
});

export const budgetConfigSchema = z.record(z.string().min(1), limitsSchema);

export class BudgetConfigError extends OvertimeError {
  static override readonly code = "budget_config_invalid";
  constructor(message: string) {
    super(BudgetConfigError.code, message);
  }
}

/** Parses budgets from JSON text (the `OVERTIME_BUDGETS` variable); empty text = no budgets. */
export function parseBudgets(text: string | undefined): BudgetConfig {
  if (!text?.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BudgetConfigError(
      'Budgets must be JSON like {"gpt-4o-mini":{"tokensPerMinute":200000,"requestsPerMinute":500}}.',
    );
  }
  const parsed = budgetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new BudgetConfigError(`Invalid budgets: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** The limits a tenant of `limits` is held to (besides the model's own). */
export function tenantLimits(limits: BudgetLimits, tenant: string): TenantLimits {
  return (
    limits.tenants?.[tenant] ??
    limits.perTenant ?? {
      tokensPerMinute: limits.tokensPerMinute,
      requestsPerMinute: limits.requestsPerMinute,
    }
  );
}
