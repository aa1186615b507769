import { createHash } from "node:crypto";
import type { CreateScheduleRequest, Schedule } from "@upstash/qstash";
import { type FieldIssue, OvertimeError, ValidationError } from "../errors";
import { workflowEndpointUrl } from "../overtime";
import { parseTags, TAGS_HEADER } from "../runs/tags";
import { SOURCE_HEADER } from "../runs/tracking";
import type { AnyWorkflow, ScheduleSpec } from "../workflow/define";
import { belongsTo, parseOwnedId, type ScheduleScope, scheduleIdFor, scopeTag } from "./scope";

/** What Overtime wants one QStash schedule to be. */
export interface DesiredSchedule {
  scheduleId: string;
  workflow: string;
  /** The `id` declared on the workflow. */
  declaredId: string;
  request: CreateScheduleRequest & {
    scheduleId: string;
    body: string;
    headers: Record<string, string>;
    retries: number;
    label: string[];
  };
  /** Lower-case names of headers whose values are secrets (delivery headers): compared and shown hashed. */
  secretHeaders: string[];
}

export interface ScheduleChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface SchedulePlan {
  scope: ScheduleScope;
  /** Every id this scope owns starts with `<tag>-`. */
  tag: string;
  create: DesiredSchedule[];
  update: Array<{ desired: DesiredSchedule; current: Schedule; changes: ScheduleChange[] }>;
  /** Schedules of this scope no workflow declares any more. */
  delete: Schedule[];
  unchanged: Array<{ desired: DesiredSchedule; current: Schedule }>;
  /** Not made by Overtime (e.g. in the QStash console): never touched. */
  external: Schedule[];
  /** Made by Overtime for another environment or base URL: never touched. */
  foreign: Schedule[];
  /** Made by Overtime for this environment at another base URL (an old preview): deleted with `pruneOtherUrls`. */
  retire: Schedule[];
}

export interface PlanOptions {
  /** Delete this environment's schedules at other base URLs too, instead of listing them as foreign. */
  pruneOtherUrls?: boolean;
}

export class ScheduleDeclarationError extends OvertimeError {
  static override readonly code = "schedule_declaration_invalid";
  constructor(
    readonly workflow: string,
    readonly declaredId: string,
    problem: string,
    override readonly issues: FieldIssue[] = [],
  ) {
    super(
      ScheduleDeclarationError.code,
      `Workflow "${workflow}", schedule "${declaredId}": ${problem}`,
      issues,
    );
  }
}

export interface DesiredOptions {
  /** Path of the catch-all workflow route (default "/api/workflows"), as given to `createOvertime`. */
  workflowsPath?: string;
  /**
   * Headers every firing forwards to the app, as `deliveryHeaders` in `createOvertime` (e.g. Vercel's
   * protection bypass). Their values are secrets: plans compare and print them only as hashes.
   */
  deliveryHeaders?: Record<string, string>;
}

/** Every Overtime schedule is labelled `overtime`, `env-<environment>` and `workflow-<name>` (QStash console filters). */
export const SCHEDULE_LABEL = "overtime";

export function scheduleLabels(scope: ScheduleScope, workflow: string): string[] {
  // QStash labels allow letters, digits, "-", "_" and ".".
  const safe = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, "_");
  return [SCHEDULE_LABEL, `env-${safe(scope.environment)}`, `workflow-${safe(workflow)}`];
}

/** QStash allows letters, digits, `-`, `_` and `.` in schedule ids. */
const DECLARED_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const CRON_FIELD = /^[0-9A-Za-z*,/?#-]+$/;
/**
 * Retries of the firing message itself (reaching the endpoint that starts the run); the run's steps use
 * the workflow's own `retries`. Set explicitly so the diff does not depend on the account's default.
 */
const FIRING_RETRIES = 3;

/**
 * The QStash schedules the registry declares for `scope`.
 *
 * Destination: the workflow's own serve endpoint, with `Overtime-Source: schedule` forwarded. That
 * endpoint recognizes a firing (`lib/schedules/firing.ts`) and starts the run through `startRun`, like
 * the trigger API: validated input, a queued run record with source `schedule`, the workflow's retries,
 * flow control and failure callback, and QStash's message id as idempotency key. The trigger route
 * would need the trigger secret stored in the schedule's headers (visible in the QStash console); the
 * serve endpoint is already authenticated by QStash's signature.
 */
export function desiredSchedules(
  workflows: readonly AnyWorkflow[],
  scope: ScheduleScope,
  options: DesiredOptions = {},
): DesiredSchedule[] {
  return workflows.flatMap((definition) =>
    (definition.schedules ?? []).map((spec) => desiredSchedule(definition, spec, scope, options)),
  );
}

function desiredSchedule(
  definition: AnyWorkflow,
  spec: ScheduleSpec<unknown>,
  scope: ScheduleScope,
  options: DesiredOptions,
): DesiredSchedule {
  const fail = (problem: string, issues?: FieldIssue[]) =>
    new ScheduleDeclarationError(definition.name, String(spec.id), problem, issues);
  if (typeof spec.id !== "string" || !DECLARED_ID.test(spec.id)) {
    throw fail(`the id must be 1-64 letters, digits, "-", "_" or "." (QStash schedule ids allow no others).`);
  }
  const scheduleId = scheduleIdFor(scope, definition.name, spec.id);
  const delivery = options.deliveryHeaders ?? {};
  return {
    scheduleId,
    workflow: definition.name,
    declaredId: spec.id,
    request: {
      scheduleId,
      destination: workflowEndpointUrl(scope.baseUrl, definition.name, options.workflowsPath),
      cron: cronWithTimezone(spec, fail),
      body: validatedBody(definition, spec, fail),
      headers: {
        ...delivery,
        "Content-Type": "application/json",
        [SOURCE_HEADER]: "schedule",
        ...(spec.tags && spec.tags.length > 0 && { [TAGS_HEADER]: validatedTags(spec.tags, fail) }),
      },
      retries: FIRING_RETRIES,
      label: scheduleLabels(scope, definition.name),
    },
    secretHeaders: Object.keys(delivery).map((name) => name.toLowerCase()),
  };
}

type Fail = (problem: string, issues?: FieldIssue[]) => ScheduleDeclarationError;

function validatedTags(tags: string[], fail: Fail): string {
  try {
    return parseTags(tags).join(",");
  } catch (error) {
    if (error instanceof ValidationError) throw fail(error.message, error.issues);
    throw error;
  }
}

/** `CRON_TZ=<zone> <cron>` when a timezone is declared (QStash's syntax), the bare cron (UTC) otherwise. */
function cronWithTimezone(spec: ScheduleSpec<unknown>, fail: Fail): string {
  const cron = normalizeCron(String(spec.cron));
  if (/^(CRON_)?TZ=/.test(cron)) throw fail(`put the timezone in "timezone", not in the cron expression.`);
  const fields = cron.split(" ");
  if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
    throw fail(`cron ${JSON.stringify(spec.cron)} must have 5 fields (minute hour day month weekday).`);
  }
  if (spec.timezone === undefined) return cron;
  if (!isTimezone(spec.timezone)) {
    throw fail(`timezone ${JSON.stringify(spec.timezone)} is not an IANA timezone (e.g. "Europe/Berlin").`);
  }
  return `CRON_TZ=${spec.timezone} ${cron}`;
}

/** The declared input must pass the workflow's schema after the JSON round trip QStash puts it through. */
function validatedBody(definition: AnyWorkflow, spec: ScheduleSpec<unknown>, fail: Fail): string {
  const body = JSON.stringify(spec.input ?? null);
  const parsed = definition.input.safeParse(JSON.parse(body));
  if (!parsed.success) {
    const error = ValidationError.fromZod(parsed.error, "input");
    throw fail(error.message, error.issues);
  }
  return body;
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Compares the desired schedules with QStash's list; sorts every schedule into exactly one bucket. */
export function planSchedules(
  desired: readonly DesiredSchedule[],
  current: readonly Schedule[],
  scope: ScheduleScope,
  options: PlanOptions = {},
): SchedulePlan {
  const plan: SchedulePlan = {
    scope,
    tag: scopeTag(scope),
    create: [],
    update: [],
    delete: [],
    unchanged: [],
    external: [],
    foreign: [],
    retire: [],
  };
  const currentById = new Map(current.map((schedule) => [schedule.scheduleId, schedule]));
  for (const want of sortedBy(desired, (d) => d.scheduleId)) {
    const have = currentById.get(want.scheduleId);
    if (!have) plan.create.push(want);
    else {
      const changes = scheduleChanges(want, have);
      if (changes.length > 0) plan.update.push({ desired: want, current: have, changes });
      else plan.unchanged.push({ desired: want, current: have });
    }
  }
  const wanted = new Set(desired.map((d) => d.scheduleId));
  for (const schedule of sortedBy(current, (s) => s.scheduleId)) {
    if (belongsTo(schedule.scheduleId, scope)) {
      if (!wanted.has(schedule.scheduleId)) plan.delete.push(schedule);
    } else {
      const owner = parseOwnedId(schedule.scheduleId);
      if (!owner) plan.external.push(schedule);
      else if (options.pruneOtherUrls && owner.environment === scope.environment) plan.retire.push(schedule);
      else plan.foreign.push(schedule);
    }
  }
  return plan;
}

/**
 * What differs between a desired schedule and QStash's copy: everything a firing depends on (destination,
 * cron incl. CRON_TZ, body, forwarded headers, method, retries, delay, callbacks, queue, flow control).
 * The paused state is left alone: pausing in the console is an operator's decision, not drift.
 */
export function scheduleChanges(desired: DesiredSchedule, current: Schedule): ScheduleChange[] {
  const want = desired.request;
  const pairs: Array<[string, unknown, unknown]> = [
    ["destination", want.destination, current.destination],
    ["cron", want.cron, normalizeCron(current.cron)],
    ["body", canonicalBody(want.body), canonicalBody(currentBody(current))],
    [
      "headers",
      forwardedHeaders(want.headers, desired.secretHeaders),
      forwardedHeaders(current.header ?? {}, desired.secretHeaders),
    ],
    ["labels", [...want.label].sort(), currentLabels(current)],
    ["method", "POST", (current.method || "POST").toUpperCase()],
    ["retries", want.retries, current.retries],
    ["retryDelay", undefined, blankToUndefined(current.retryDelayExpression)],
    ["delay", undefined, current.delay || undefined],
    ["callback", undefined, blankToUndefined(current.callback)],
    ["failureCallback", undefined, blankToUndefined(current.failureCallback)],
    ["queueName", undefined, blankToUndefined(current.queueName)],
    ["flowControlKey", undefined, blankToUndefined(current.flowControlKey)],
  ];
  return pairs
    .filter(([, to, from]) => stableJson(to) !== stableJson(from))
    .map(([field, to, from]) => ({ field, from, to }));
}

function normalizeCron(cron: string): string {
  return cron.trim().replace(/\s+/g, " ");
}

function currentBody(schedule: Schedule): string {
  if (schedule.body !== undefined) return schedule.body;
  if (schedule.bodyBase64) return Buffer.from(schedule.bodyBase64, "base64").toString("utf8");
  return "";
}

/** JSON bodies compare by value (key order does not matter); anything else as text. */
function canonicalBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/**
 * The headers a firing forwards to the destination, lower-cased, whichever way QStash reports them
 * (`Upstash-Forward-X` or `X`). Upstash's own settings are compared field by field instead, and the
 * content type is the SDK's default (JSON) either way.
 */
function forwardedHeaders(
  headers: Record<string, string | string[]>,
  secretHeaders: readonly string[],
): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase().replace(/^upstash-forward-/, "");
    if (key.startsWith("upstash-") || key === "content-type") continue;
    const text = Array.isArray(value) ? value.join(",") : value;
    forwarded[key] = secretHeaders.includes(key) ? fingerprint(text) : text;
  }
  return forwarded;
}

/** A secret as plans show it: enough to tell two values apart, nothing to recover it from. */
function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 12)}`;
}

/** QStash reports several labels as `labels`, older schedules only `label`. */
function currentLabels(schedule: Schedule): string[] {
  const labels = schedule.labels ?? (schedule.label ? [schedule.label] : []);
  return [...labels].sort();
}

function blankToUndefined<T>(value: T | "" | null | undefined): T | undefined {
  return value === "" || value === null ? undefined : value;
}

/** JSON with sorted keys and `undefined` members dropped, for value comparison. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function sortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
