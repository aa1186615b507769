import { randomUUID } from "node:crypto";
import type { Redis } from "@upstash/redis";
import { WorkflowNonRetryableError } from "@upstash/workflow";
import { type PriceTable, priceOf, priceTable } from "../cost/pricing";
import { type BudgetConfig, type BudgetLimits, type TenantLimits, tenantLimits } from "./config";
import { type LedgerScripts, ledgerScripts } from "./ledger";

/** A provider's minute, plus half a second for clocks of app instances that disagree a little (an entry is stamped when its call has returned, already after the provider counted it). */
export const WINDOW_MS = 60_500;
/** How long a reservation of a call in flight outlives its minute if it is never settled (a crash). */
export const LEASE_MS = 30_000;
/** How late a waiting run may come back before it loses its place in the queue. */
export const QUEUE_GRACE_MS = 30_000;
const DAY_MS = 86_400_000;

/** What a turn asks of a budget before calling the model. */
export interface ReservationRequest {
  model: string;
  tenant?: string;
  /** The whole call: prompt and output allowance. */
  tokens: number;
  /** Of which the output allowance (priced as output for a dollar cap). */
  outputTokens?: number;
  /** Names the waiter in the queue across its retries (e.g. run id and turn), so it keeps its place. */
  ticket?: string;
}

export type Reservation =
  | { granted: true; key: string; id: string; tokens: number; costMicros: number; day?: string }
  | {
      granted: false;
      key: string;
      /** When to ask again (epoch ms on the budget's clock). */
      retryAt: number;
      retryAfterMs: number;
      reason: "tokens" | "requests" | "dollars";
    };

/** What the call really used, and what the provider said about its own limit (`x-ratelimit-*`). */
export interface Settlement {
  inputTokens: number;
  outputTokens: number;
  /** False when the provider refused the call or it failed: nothing was spent. */
  called: boolean;
  provider?: ProviderView;
}

export interface ProviderView {
  limitTokens?: number;
  remainingTokens?: number;
  limitRequests?: number;
  remainingRequests?: number;
}

export interface BucketStatus {
  limitPerMinute: number;
  /** The whole minute's allowance may be spent at once. */
  capacity: number;
  remaining: number;
  /** When everything now in the minute has left it (epoch ms). */
  resetAt: number;
  /** Runs waiting for this budget. */
  waiting: number;
}

export interface BudgetStatus {
  key: string;
  model: string;
  tenant?: string;
  tokens?: BucketStatus;
  requests?: BucketStatus;
  dollars?: { limitPerDay: number; spentToday: number };
}

/** A call that could never be sent: it alone needs more than a whole minute (or day) of the budget. */
export class BudgetTooSmallError extends WorkflowNonRetryableError {
  override name = "BudgetTooSmallError";
}

/** Redis commands a reservation or a settlement sends (one EVALSHA; a cold script cache adds an EVAL). */
export const COMMANDS_PER_LIMIT_CALL = 1;

interface Scope {
  key: string;
  tokensPerMinute: number;
  requestsPerMinute: number;
}

export interface BudgetsOptions {
  prices?: PriceTable;
  /** Wakes a run waiting for its turn (QStash `notify`); without it, waiters wake at their computed time. */
  notify?: (eventId: string, runId: string) => Promise<void>;
  /** Epoch ms; default Date.now. The test stack passes the QStash stand-in's virtual clock. */
  now?: () => number;
}

/**
 * Token and request budgets per model (and tenant) on sliding-minute ledgers in Redis (ledger.ts),
 * plus an optional dollar cap per tenant and day. Every process shares them, so N concurrent runs
 * together stay under the provider's limits.
 */
export class Budgets {
  private readonly scripts: LedgerScripts;
  private readonly prices: PriceTable;
  private readonly notify: BudgetsOptions["notify"];
  readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    readonly config: BudgetConfig,
    private readonly prefix: string,
    options: BudgetsOptions = {},
  ) {
    this.scripts = ledgerScripts(redis);
    this.prices = options.prices ?? priceTable();
    this.now = options.now ?? Date.now;
    this.notify = options.notify;
  }

  has(model: string): boolean {
    return Object.hasOwn(this.config, model);
  }

  /** Budget identity: the model, or the model and tenant. */
  keyFor(model: string, tenant?: string): string {
    return tenant ? `${model}:${tenant}` : model;
  }

  /**
   * Why a call of `tokens` could never be admitted, if it could not: more than a minute of the model's
   * or the tenant's budget, or more than the tenant's dollars for a day.
   */
  fitProblem(request: ReservationRequest): string | undefined {
    const limits = this.limitsOf(request.model);
    for (const scope of this.scopes(request.model, request.tenant)) {
      if (scope.tokensPerMinute > 0 && request.tokens > scope.tokensPerMinute) {
        return (
          `A call to ${request.model} needs ${request.tokens} tokens (prompt, tools, schemas and output allowance) ` +
          `but the budget "${scope.key}" allows ${scope.tokensPerMinute} tokens per minute: it could never be ` +
          "sent without a provider 429. Shorten the prompt, lower maxOutputTokens (or budget.reserveOutputTokens), " +
          "or raise tokensPerMinute to the provider's real limit."
        );
      }
    }
    const cap = request.tenant ? tenantLimits(limits, request.tenant).dollarsPerDay : undefined;
    const cost = this.costMicros(
      request.model,
      request.tokens - (request.outputTokens ?? 0),
      request.outputTokens ?? 0,
    );
    if (cap !== undefined && cost > cap * 1e6) {
      return (
        `A call to ${request.model} may cost $${(cost / 1e6).toFixed(6)} but tenant "${request.tenant}" may spend ` +
        `$${cap} per day: it could never be sent. Raise dollarsPerDay or shorten the call.`
      );
    }
    return undefined;
  }

  /** Reserves the call's tokens and one request, or says when to ask again. Denied reservations take nothing. */
  async reserve(request: ReservationRequest): Promise<Reservation> {
    const now = Math.floor(this.now());
    const key = this.keyFor(request.model, request.tenant);
    const scopes = this.scopes(request.model, request.tenant);
    const id = randomUUID();
    const outputTokens = request.outputTokens ?? 0;
    const costMicros = this.costMicros(request.model, request.tokens - outputTokens, outputTokens);
    const cap = request.tenant
      ? tenantLimits(this.limitsOf(request.model), request.tenant).dollarsPerDay
      : undefined;
    const day = new Date(now).toISOString().slice(0, 10);
    const dayEnd = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
    const keys = [
      ...scopes.flatMap((scope) => this.scopeKeys(scope.key)),
      cap === undefined ? this.dollarsKey(key, "none") : this.dollarsKey(key, day),
      this.indexKey(),
    ];
    const args = [
      now,
      WINDOW_MS,
      LEASE_MS,
      QUEUE_GRACE_MS,
      id,
      request.ticket ?? id,
      Math.ceil(request.tokens),
      scopes.length,
      cap === undefined ? -1 : cap * 1e6,
      costMicros,
      dayEnd,
      ...scopes.flatMap((scope) => [scope.tokensPerMinute, scope.requestsPerMinute, scope.key]),
    ];
    const reply = await this.scripts.reserve(keys, args);
    if (reply[0] === 1) {
      return {
        granted: true,
        key,
        id,
        tokens: Math.ceil(request.tokens),
        costMicros,
        ...(cap !== undefined && { day }),
      };
    }
    const [, reason, retryAt] = reply;
    return { granted: false, key, retryAt, retryAfterMs: Math.max(0, retryAt - now), reason };
  }

  /**
   * Replaces a reservation with what the call really used (nothing, if it was refused or failed), so
   * what it did not use is free again at once; corrects the model's ledger with the provider's view;
   * wakes the waiting runs (oldest first) the minute now has room for.
   */
  async settle(
    request: { model: string; tenant?: string },
    held: Extract<Reservation, { granted: true }>,
    usage: Settlement,
  ): Promise<number> {
    const scopes = this.scopes(request.model, request.tenant);
    const used = usage.called ? usage.inputTokens + usage.outputTokens : 0;
    const cost = usage.called ? this.costMicros(request.model, usage.inputTokens, usage.outputTokens) : 0;
    const provider = usage.provider ?? {};
    const providerUsed = (limit?: number, remaining?: number) =>
      limit !== undefined && remaining !== undefined ? Math.max(0, limit - remaining) : -1;
    const woken = await this.scripts.settle(
      [
        ...scopes.flatMap((scope) => this.scopeKeys(scope.key)),
        this.dollarsKey(held.key, held.day ?? "none"),
      ],
      [
        Math.floor(this.now()),
        WINDOW_MS,
        LEASE_MS,
        held.id,
        held.tokens,
        Math.ceil(used),
        usage.called ? 1 : 0,
        scopes.length,
        held.day ? cost - held.costMicros : 0,
        providerUsed(provider.limitTokens, provider.remainingTokens),
        providerUsed(provider.limitRequests, provider.remainingRequests),
        ...scopes.flatMap((scope) => [scope.tokensPerMinute, scope.requestsPerMinute]),
      ],
    );
    await Promise.all(
      woken.map((ticket) => {
        const runId = runOfTicket(ticket);
        return runId ? this.notify?.(budgetEventId(ticket), runId).catch(() => {}) : undefined;
      }),
    );
    return woken.length;
  }

  /** Every configured budget, plus every tenant budget used so far. */
  async status(): Promise<BudgetStatus[]> {
    const used = (await this.redis.smembers(this.indexKey())) as string[];
    const keys = new Set([...Object.keys(this.config), ...used]);
    const now = Math.floor(this.now());
    const statuses: BudgetStatus[] = [];
    for (const key of [...keys].sort()) {
      const model = this.modelOf(key);
      if (!model) continue;
      const tenant = key === model ? undefined : key.slice(model.length + 1);
      const scope = this.scopes(model, tenant).at(-1) as Scope;
      const [tokens, requests, latest, waiting] = await this.scripts.status(this.scopeKeys(key), [
        now,
        WINDOW_MS,
        LEASE_MS,
      ]);
      const resetAt = latest > 0 ? latest + WINDOW_MS : now;
      const bucket = (limit: number, inUse: number): BucketStatus => ({
        limitPerMinute: limit,
        capacity: limit,
        remaining: Math.max(0, limit - inUse),
        resetAt,
        waiting,
      });
      const cap = tenant ? tenantLimits(this.limitsOf(model), tenant).dollarsPerDay : undefined;
      const spent =
        cap === undefined
          ? undefined
          : Number((await this.redis.get<string | number>(this.dollarsKey(key, dayOf(now)))) ?? 0) / 1e6;
      statuses.push({
        key,
        model,
        ...(tenant && { tenant }),
        ...(scope.tokensPerMinute > 0 && { tokens: bucket(scope.tokensPerMinute, tokens) }),
        ...(scope.requestsPerMinute > 0 && { requests: bucket(scope.requestsPerMinute, requests) }),
        ...(cap !== undefined && { dollars: { limitPerDay: cap, spentToday: spent ?? 0 } }),
      });
    }
    return statuses;
  }

  /** The model's scope, then the tenant's (a tenant is held to both). */
  private scopes(model: string, tenant: string | undefined): Scope[] {
    const limits = this.limitsOf(model);
    const scope = (key: string, l: TenantLimits): Scope => ({
      key,
      tokensPerMinute: l.tokensPerMinute ?? 0,
      requestsPerMinute: l.requestsPerMinute ?? 0,
    });
    const model_ = scope(model, limits);
    return tenant ? [model_, scope(this.keyFor(model, tenant), tenantLimits(limits, tenant))] : [model_];
  }

  private limitsOf(model: string): BudgetLimits {
    return this.config[model] ?? {};
  }

  private costMicros(model: string, inputTokens: number, outputTokens: number): number {
    const price = priceOf(this.prices, model);
    if (!price) return 0;
    return inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion;
  }

  private modelOf(key: string): string | undefined {
    if (Object.hasOwn(this.config, key)) return key;
    return Object.keys(this.config).find((model) => key.startsWith(`${model}:`));
  }

  private scopeKeys(scope: string): string[] {
    const base = `${this.prefix}:${scope}`;
    return [`${base}:ledger`, `${base}:sums`, `${base}:queue`, `${base}:waiting`];
  }

  private dollarsKey(key: string, day: string): string {
    return `${this.prefix}:${key}:dollars:${day}`;
  }

  private indexKey(): string {
    return `${this.prefix}:keys`;
  }
}

/** A waiter's ticket: `<runId>|<turn step>` (a ticket without a run is never notified, only timed). */
export function budgetTicket(runId: string, step: string): string {
  return `${runId}|${step}`;
}

function runOfTicket(ticket: string): string | undefined {
  const bar = ticket.indexOf("|");
  return bar > 0 ? ticket.slice(0, bar) : undefined;
}

/** The event a waiting run waits for: the ledger has room for it now. */
export function budgetEventId(ticket: string): string {
  return `overtime-budget:${ticket.replace("|", ":")}`;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
