import { LAZY_FETCH_THRESHOLD_BYTES } from "../constants";
import type { DeliveryOutcome } from "../delivery";
import type { Engine } from "../engine";
import { badRequest } from "../errors";
import {
  canonicalKey,
  type HeaderArrays,
  type HeaderMap,
  responseHeaderArrays,
  toArrays,
  withPrefix,
} from "../headers";
import { buildMessage, type StoredMessage } from "../message";
import type { Invoker, MessageLog, RawStep, RunRecord, StepError } from "./types";
import { Waits } from "./waits";

export const NON_WORKFLOW_DESTINATION_ERROR =
  "detected a non-workflow destination for trigger/invoke. make sure you are sending the request to the correct endpoint";
export const REST_TRIGGER_SDK_ERROR =
  "trigger rest api is only usable with sdk versions after v1.0.0 major version";
const APPEND_TO_ENDED_ERROR = "failed to publish to url: can not append to a a cancelled workflow";
const SDK_VERSION = "Upstash-Workflow-Sdk-Version";
const ENDED_RUN_RETENTION_MS = 30 * 86_400_000;

export interface AppendPlan {
  listKey: string;
  logKey: string;
  entryJson: string;
  logJson: string;
}

export interface AttachResult {
  deduplicated?: boolean;
  messageId?: string;
  /** The run history entry to write together with the message. */
  append?: AppendPlan;
}

/** The workflow run model: run records, their message lists (prefix semantics), completion and failure. */
export class Runs {
  readonly waits: Waits;

  constructor(private readonly engine: Engine) {
    this.waits = new Waits(engine, this);
  }

  private get store() {
    return this.engine.store;
  }
  private runKey(runId: string) {
    return this.store.key("run", runId);
  }
  private listKey(runId: string) {
    return this.store.key("run", runId, "list");
  }
  private logKey(runId: string) {
    return this.store.key("run", runId, "log");
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return this.store.getJson<RunRecord>(this.runKey(runId));
  }

  async save(run: RunRecord): Promise<void> {
    const id = run.workflowRunId;
    await this.store.setJson(this.runKey(id), run);
    if (run.state !== "RUN_STARTED") {
      // Ended runs (their logs, history, DLQ source) are kept for a while, not forever.
      const pipeline = this.store.redis.pipeline();
      for (const key of [this.runKey(id), this.listKey(id), this.logKey(id)])
        pipeline.pexpire(key, ENDED_RUN_RETENTION_MS);
      await pipeline.exec();
    } else {
      await this.store.redis.persist(this.runKey(id));
    }
  }

  async list(runId: string): Promise<RawStep[]> {
    const raw = await this.store.redis.lrange(this.listKey(runId), 0, -1);
    return raw.map((entry) => JSON.parse(entry) as RawStep);
  }

  async messageLogs(runId: string): Promise<Map<string, MessageLog>> {
    const raw = await this.store.redis.hgetall(this.logKey(runId));
    const map = new Map<string, MessageLog>();
    for (const [id, value] of Object.entries(raw)) map.set(id, JSON.parse(value) as MessageLog);
    return map;
  }

  private async updateLog(
    runId: string,
    messageId: string,
    change: (log: MessageLog) => void,
  ): Promise<void> {
    const raw = await this.store.redis.hget(this.logKey(runId), messageId);
    if (raw === null) return;
    const log = JSON.parse(raw) as MessageLog;
    change(log);
    await this.store.redis.hset(this.logKey(runId), messageId, JSON.stringify(log));
  }

  async allRunIds(): Promise<string[]> {
    return this.store.redis.zrevrange(this.store.key("runs"), 0, -1);
  }

  // ---------------------------------------------------------------- attaching messages

  /** Links a message carrying `Upstash-Workflow-RunId` to its run (creating the run on `Init`). */
  async attach(message: StoredMessage): Promise<AttachResult> {
    const info = message.workflow;
    if (!info) return {};
    if (info.callType === "failureCall") {
      message.kind = "failure";
      return {};
    }
    const run = await this.get(info.runId);
    if (info.init) return this.attachTrigger(message, run);
    if (!run) throw badRequest(`workflow run ${info.runId} not found`);
    if (run.state !== "RUN_STARTED") throw badRequest(APPEND_TO_ENDED_ERROR);
    this.applyRunConfig(message, run);
    return { append: this.appendPlan(run, message) };
  }

  private async attachTrigger(
    message: StoredMessage,
    existing: RunRecord | undefined,
  ): Promise<AttachResult> {
    const info = message.workflow;
    if (!info) return {};
    // A started run whose trigger never made it into the list (publish interrupted) does not block a retry.
    const hasHistory = (await this.store.redis.llen(this.listKey(info.runId))) > 0;
    if (existing?.state === "RUN_STARTED" && hasHistory && !info.triggeredBySdk) {
      return { deduplicated: true, messageId: existing.firstMessageId };
    }
    let invoker: Invoker | undefined;
    if (info.invoke) {
      const parsed = parseInvokeBody(message.bodyBase64);
      if (parsed) {
        invoker = parsed.invoker;
        message.bodyBase64 = Buffer.from(parsed.body).toString("base64");
      }
    }
    const handshake = info.triggeredBySdk && existing?.state === "RUN_STARTED" ? existing : undefined;
    const failureHeaders = withPrefix(message.config, "Upstash-Failure-Callback-");
    const hasRetries = message.config["Upstash-Retries"] !== undefined;
    const run: RunRecord = {
      workflowRunId: info.runId,
      workflowUrl: info.workflowUrl ?? message.url,
      createdAt: handshake?.createdAt ?? message.createdAt,
      state: "RUN_STARTED",
      callerIp: message.callerIp,
      labels: message.labels.length > 0 ? message.labels : (handshake?.labels ?? []),
      featureSet: info.featureSet || handshake?.featureSet || "",
      config: {
        retries: hasRetries ? message.maxRetries : handshake?.config.retries,
        retryDelay: message.retryDelay ?? handshake?.config.retryDelay,
        flowControl: message.flowControl ?? handshake?.config.flowControl,
        failureCallback: message.failureCallback ?? handshake?.config.failureCallback,
        failureHeaders: message.failureCallback ? failureHeaders : (handshake?.config.failureHeaders ?? {}),
        forward: { ...message.forward },
      },
      initialBodyBase64: message.bodyBase64,
      firstMessageId: message.messageId,
      triggerHeaders: publishHeadersOf(message),
    };
    const inv = invoker ?? handshake?.invoker;
    if (inv) run.invoker = inv;
    if (info.restTrigger || handshake?.restTrigger) run.restTrigger = true;
    this.applyRunConfig(message, run);
    message.failureCallback = undefined;
    await this.store.redis
      .multi()
      .del(this.listKey(run.workflowRunId), this.logKey(run.workflowRunId))
      .zadd(this.store.key("runs"), run.createdAt, run.workflowRunId)
      .exec();
    await this.save(run);
    if (invoker) await this.recordInvoked(invoker, run);
    return { append: this.appendPlan(run, message) };
  }

  private async recordInvoked(invoker: Invoker, child: RunRecord): Promise<void> {
    const parent = await this.get(invoker.workflowRunId);
    if (!parent) return;
    const stepId = String(invoker.step.stepId ?? "");
    parent.invoked = {
      ...(parent.invoked ?? {}),
      [stepId]: {
        workflowRunId: child.workflowRunId,
        workflowUrl: child.workflowUrl,
        createdAt: child.createdAt,
        body: Buffer.from(child.initialBodyBase64, "base64").toString("utf8"),
        headers: toArrays(child.config.forward),
      },
    };
    await this.save(parent);
  }

  /** Run-level config from the trigger applies to every later message of the run (`WF_TriggerOnConfig`). */
  private applyRunConfig(message: StoredMessage, run: RunRecord): void {
    const info = message.workflow;
    if (!info) return;
    const callType = info.callType;
    if (callType === "toCallback") {
      message.kind = "call";
      info.stepListBody = false;
      return;
    }
    const explicitRetries = message.config["Upstash-Retries"] !== undefined;
    if (!info.init) {
      if (!explicitRetries && run.config.retries !== undefined) message.maxRetries = run.config.retries;
      else if (!explicitRetries) message.maxRetries = 3;
      if (!message.retryDelay && run.config.retryDelay) message.retryDelay = run.config.retryDelay;
      if (!message.flowControl && run.config.flowControl) message.flowControl = run.config.flowControl;
      if (message.labels.length === 0) message.labels = [...run.labels];
    }
    const runForward = { ...run.config.forward };
    if (callType === "fromCallback") {
      // Callbacks must look like a first invocation to the SDK: never the protocol version header.
      delete runForward[SDK_VERSION];
      message.kind = "callback";
      info.stepListBody = false;
    } else {
      message.kind = "step";
      info.stepListBody = true;
    }
    message.forward = { ...runForward, ...message.forward };
    if (callType === "fromCallback") delete message.forward[SDK_VERSION];
    if (info.unknownSdk) delete message.forward[SDK_VERSION];
    message.failureCallback = undefined;
  }

  /**
   * What publishing this message adds to its run (list entry + log). It is written by the engine in the same
   * atomic step that persists the message, which also fixes the message's position in the list.
   */
  private appendPlan(run: RunRecord, message: StoredMessage): AppendPlan | undefined {
    const info = message.workflow;
    if (!info) return undefined;
    const entry: RawStep = {
      messageId: message.messageId,
      body: message.bodyBase64,
      callType: info.callType === "fromCallback" || info.callType === "toCallback" ? info.callType : "step",
    };
    const log: MessageLog = {
      messageId: message.messageId,
      callType: entry.callType,
      createdAt: message.createdAt,
      state: "STEP_PROGRESS",
      retries: message.maxRetries,
      retried: 0,
      errors: [],
      url: message.url,
      headers: toArrays(message.forward),
    };
    if (message.retryDelay) log.retryDelay = message.retryDelay;
    if (message.notBefore) log.nextDeliveryTime = message.notBefore;
    if (info.callType === "toCallback") {
      const stepId = message.config["Upstash-Callback-Forward-Upstash-Workflow-Stepid"];
      if (stepId !== undefined) log.stepId = Number(stepId);
      const stepName = message.config["Upstash-Callback-Forward-Upstash-Workflow-Stepname"];
      if (stepName !== undefined) log.stepName = stepName;
      log.call = {
        url: message.url,
        method: message.method,
        headers: toArrays(message.forward),
        body: Buffer.from(message.bodyBase64, "base64").toString("utf8"),
      };
    }
    return {
      listKey: this.listKey(run.workflowRunId),
      logKey: this.logKey(run.workflowRunId),
      entryJson: JSON.stringify(entry),
      logJson: JSON.stringify(log),
    };
  }

  /** Writes a plan without delivering its message (the recorded trigger of a run resumed from the DLQ). */
  async commitWithoutDelivery(plan: AppendPlan | undefined): Promise<void> {
    if (!plan) return;
    await this.store.redis.rpush(plan.listKey, plan.entryJson);
    await this.store.redis.hset(plan.logKey, JSON.parse(plan.entryJson).messageId, plan.logJson);
  }

  async markDelivered(runId: string, messageId: string): Promise<void> {
    await this.updateLog(runId, messageId, (log) => {
      log.state = "STEP_SUCCESS";
    });
  }

  /** Copies recorded entries (resume from DLQ) into a run's list; they count as successful steps. */
  async appendRaw(runId: string, entries: RawStep[]): Promise<void> {
    for (const entry of entries) {
      await this.store.redis.rpush(this.listKey(runId), JSON.stringify(entry));
      const log: MessageLog = {
        messageId: entry.messageId,
        callType: entry.callType,
        createdAt: this.engine.clock.now(),
        state: "STEP_SUCCESS",
        retries: 0,
        retried: 0,
        errors: [],
        url: "",
        headers: {},
      };
      await this.store.redis.hset(this.logKey(runId), entry.messageId, JSON.stringify(log));
    }
  }

  // ---------------------------------------------------------------- delivery

  async mayDeliver(message: StoredMessage): Promise<boolean> {
    const info = message.workflow;
    if (!info || info.callType === "failureCall") return true;
    const run = await this.get(info.runId);
    return run?.state === "RUN_STARTED";
  }

  /** Body and extra headers of a delivery (step deliveries carry the run's message-list prefix). */
  async deliveryPayload(message: StoredMessage): Promise<{ body: Buffer; headers: HeaderMap }> {
    const info = message.workflow;
    const raw = Buffer.from(message.bodyBase64, "base64");
    if (!info || info.callType === "toCallback") return { body: raw, headers: {} };
    const run = await this.get(info.runId);
    const headers: HeaderMap = { "Upstash-Workflow-Runid": info.runId };
    if (run) headers["Upstash-Workflow-Createdat"] = String(run.createdAt);
    if (info.unknownSdk) headers["Upstash-Workflow-Unknown-Sdk"] = "true";
    if (info.callType === "fromCallback" && raw.length > this.engine.maxMessageBytes) {
      // Too large to deliver inline: the SDK looks the callback up in the run (lazy fetch by message id).
      return { body: Buffer.alloc(0), headers };
    }
    if (!info.stepListBody || info.index === undefined) return { body: raw, headers };
    const entries = await this.store.redis.lrange(this.listKey(info.runId), 0, info.index);
    const size = entries.reduce((total, entry) => total + entry.length + 1, 2);
    // A history that does not fit in one message goes out empty; the SDK then fetches it (LazyFetch).
    const limit = Math.min(LAZY_FETCH_THRESHOLD_BYTES, this.engine.maxMessageBytes);
    const lazy = size > limit && (run?.featureSet ?? info.featureSet).includes("LazyFetch");
    return { body: lazy ? Buffer.alloc(0) : Buffer.from(`[${entries.join(",")}]`), headers };
  }

  detectProblem(message: StoredMessage, responseHeaders: Headers): string | undefined {
    const info = message.workflow;
    if (!info?.stepListBody) return undefined;
    if (info.featureSet.includes("WF_DetectTrigger") && !responseHeaders.has(SDK_VERSION)) {
      return NON_WORKFLOW_DESTINATION_ERROR;
    }
    if (info.restTrigger && info.init && !responseHeaders.has("Upstash-Workflow-Sdk"))
      return REST_TRIGGER_SDK_ERROR;
    return undefined;
  }

  async onDelivered(message: StoredMessage, outcome: DeliveryOutcome): Promise<void> {
    const info = message.workflow;
    if (!info) return;
    if (info.callType === "failureCall") {
      await this.updateFailureFunction(info.runId, message, outcome, "CALLBACK_SUCCESS");
      return;
    }
    await this.updateLog(info.runId, message.messageId, (log) => {
      log.state = "STEP_SUCCESS";
      log.retried = message.retried;
      log.nextDeliveryTime = undefined;
      if (log.call && outcome.response) {
        log.call.responseStatus = outcome.response.status;
        log.call.responseBody = outcome.response.body.toString("utf8");
        log.call.responseHeaders = responseHeaderArrays(outcome.response.headers);
      }
    });
  }

  async onRetry(message: StoredMessage, outcome: DeliveryOutcome, error: string, nextDeliveryTime: number) {
    const info = message.workflow;
    if (!info || info.callType === "failureCall") return;
    await this.updateLog(info.runId, message.messageId, (log) => {
      log.state = "STEP_RETRY";
      log.retried = message.retried + 1;
      log.nextDeliveryTime = nextDeliveryTime;
      log.errors.push(this.stepError(outcome, error));
    });
  }

  /** A delivery of an ended run answered non-2xx: recorded as cancelled, like the run's other pending messages. */
  async onRunEnded(message: StoredMessage, outcome: DeliveryOutcome, error: string): Promise<void> {
    const info = message.workflow;
    if (!info) return;
    await this.updateLog(info.runId, message.messageId, (log) => {
      log.state = "STEP_CANCELED";
      log.retried = message.retried;
      log.nextDeliveryTime = undefined;
      log.errors.push(this.stepError(outcome, error));
    });
  }

  private stepError(outcome: DeliveryOutcome, error: string): StepError {
    const stepError: StepError = { error, time: this.engine.clock.now() };
    if (outcome.response) {
      stepError.status = outcome.response.status;
      stepError.body = outcome.response.body.toString("utf8");
      stepError.headers = responseHeaderArrays(outcome.response.headers);
    }
    return stepError;
  }

  /** Returns true when the failure was a workflow failure handled here (no plain DLQ entry then). */
  async onFailed(message: StoredMessage, outcome: DeliveryOutcome, error: string): Promise<boolean> {
    const info = message.workflow;
    if (!info) return false;
    if (info.callType === "failureCall") {
      await this.updateFailureFunction(info.runId, message, outcome, "CALLBACK_FAIL", error);
      return true;
    }
    await this.updateLog(info.runId, message.messageId, (log) => {
      log.state = "STEP_FAILED";
      log.retried = message.retried;
      log.nextDeliveryTime = undefined;
      log.errors.push(this.stepError(outcome, error));
      if (log.call && outcome.response) {
        log.call.responseStatus = outcome.response.status;
        log.call.responseBody = outcome.response.body.toString("utf8");
        log.call.responseHeaders = responseHeaderArrays(outcome.response.headers);
      }
    });
    // A failing third-party call does not fail the run (WF_NoDelete): its status goes back via the callback.
    if (info.callType === "toCallback") return true;
    await this.failRun(info.runId, message, outcome, error);
    return true;
  }

  private async updateFailureFunction(
    runId: string,
    message: StoredMessage,
    outcome: DeliveryOutcome,
    state: "CALLBACK_SUCCESS" | "CALLBACK_FAIL",
    error?: string,
  ): Promise<void> {
    const run = await this.get(runId);
    if (!run?.failureFunction) return;
    run.failureFunction.state = state;
    if (outcome.response) {
      run.failureFunction.responseStatus = outcome.response.status;
      run.failureFunction.responseBody = outcome.response.body.toString("utf8");
      run.failureFunction.responseHeaders = responseHeaderArrays(outcome.response.headers);
    }
    if (error)
      run.failureFunction.errors = [...(run.failureFunction.errors ?? []), this.stepError(outcome, error)];
    run.failureFunction.maxRetries = message.maxRetries;
    await this.save(run);
  }

  // ---------------------------------------------------------------- end of a run

  async failRun(
    runId: string,
    message: StoredMessage,
    outcome: DeliveryOutcome,
    error: string,
  ): Promise<void> {
    const run = await this.get(runId);
    if (run?.state !== "RUN_STARTED") return;
    const now = this.engine.clock.now();
    run.state = "RUN_FAILED";
    run.completedAt = now;
    const dlqId = await this.engine.addDlq(message, outcome, error, "workflow", {
      workflowRunId: run.workflowRunId,
      workflowCreatedAt: run.createdAt,
      workflowUrl: run.workflowUrl,
    });
    run.dlqId = dlqId;
    await this.save(run);
    await this.cancelPending(run, message.messageId);
    await this.waits.dropRunWaiters(run.workflowRunId);
    if (run.config.failureCallback) await this.publishFailureCallback(run, message, outcome, dlqId);
    await this.resolveInvoker(run, { isFailed: true, isCanceled: false });
  }

  async publishFailureCallback(
    run: RunRecord,
    message: StoredMessage,
    outcome: DeliveryOutcome,
    dlqId: string,
  ): Promise<void> {
    const destination = run.config.failureCallback;
    if (!destination) return;
    const headers: HeaderMap = {};
    for (const [rest, value] of Object.entries(run.config.failureHeaders))
      headers[canonicalKey(`Upstash-${rest}`)] = value;
    headers["Content-Type"] = "application/json";
    if (!headers["Upstash-Workflow-Runid"]) headers["Upstash-Workflow-Runid"] = run.workflowRunId;
    headers["Upstash-Workflow-Calltype"] = "failureCall";
    if (headers["Upstash-Retries"] === undefined && run.config.retries !== undefined) {
      headers["Upstash-Retries"] = String(run.config.retries);
    }
    // InitialBody: the failure body carries the run's initial payload, not the failing step's list.
    const source: StoredMessage = { ...message, bodyBase64: run.initialBodyBase64 };
    const result = await this.engine.publishFailureCallback(source, outcome, dlqId, {
      destination,
      headers,
      extra: { workflowRunId: run.workflowRunId, workflowCreatedAt: run.createdAt },
    });
    if (!result) return;
    const fresh = (await this.get(run.workflowRunId)) ?? run;
    fresh.failureFunction = {
      messageId: result.messageId,
      url: destination,
      state: "CALLBACK_INPROGRESS",
      failHeaders: outcome.response ? responseHeaderArrays(outcome.response.headers) : {},
      failStatus: outcome.response?.status ?? 0,
      failResponse: outcome.response?.body.toString("utf8") ?? "",
      dlqId,
    };
    await this.save(fresh);
  }

  /** `DELETE /v2/workflows/runs/{id}?cancel=true|false`: the SDK reports completion or `context.cancel()`. */
  async complete(runId: string, body: Buffer, cancel: boolean): Promise<boolean> {
    const run = await this.get(runId);
    if (run?.state !== "RUN_STARTED") return false;
    run.state = cancel ? "RUN_CANCELED" : "RUN_SUCCESS";
    run.completedAt = this.engine.clock.now();
    if (!cancel && body.length > 0) run.response = body.toString("utf8");
    await this.save(run);
    await this.cancelPending(run);
    await this.waits.dropRunWaiters(run.workflowRunId);
    if (cancel) await this.resolveInvoker(run, { isFailed: false, isCanceled: true });
    else {
      const result: Record<string, unknown> = {};
      if (run.response !== undefined) result.body = run.response;
      result.isFailed = false;
      result.isCanceled = false;
      await this.resolveInvoker(run, result);
    }
    return true;
  }

  /** Cancels a run from the API (`client.cancel`). */
  async cancel(runId: string): Promise<boolean> {
    return this.complete(runId, Buffer.alloc(0), true);
  }

  private async cancelPending(run: RunRecord, except?: string): Promise<void> {
    const entries = await this.list(run.workflowRunId);
    const ids = entries.map((e) => e.messageId).filter((id) => id !== except);
    for (const id of ids) {
      if (!(await this.store.redis.exists(this.store.key("msg", id)))) continue;
      if ((await this.engine.cancelMessages([id])) === 0) continue;
      await this.updateLog(run.workflowRunId, id, (log) => {
        if (log.state === "STEP_PROGRESS" || log.state === "STEP_RETRY") log.state = "STEP_CANCELED";
      });
    }
  }

  /** When an invoked child ends, its result becomes the parent's invoke step (unless the parent ended). */
  private async resolveInvoker(child: RunRecord, result: Record<string, unknown>): Promise<void> {
    const invoker = child.invoker;
    if (!invoker) return;
    const step = { ...invoker.step, out: JSON.stringify(result) };
    const parent = await this.get(invoker.workflowRunId);
    if (!parent) return;
    if (parent.state !== "RUN_STARTED") {
      parent.lateInvokeResults = [...(parent.lateInvokeResults ?? []), JSON.stringify(step)];
      await this.save(parent);
      return;
    }
    const headers: HeaderMap = {};
    for (const [name, values] of Object.entries(invoker.headers)) {
      const first = values[0];
      if (first !== undefined) headers[canonicalKey(name)] = first;
    }
    headers["Upstash-Workflow-Runid"] = invoker.workflowRunId;
    headers["Upstash-Workflow-Init"] = "false";
    delete headers["Upstash-Workflow-Calltype"];
    if (!headers["Content-Type"]) headers["Content-Type"] = "application/json";
    try {
      await this.engine.publish(
        buildMessage({
          destination: invoker.workflowUrl,
          headers,
          body: Buffer.from(JSON.stringify(step)),
          callerIp: child.callerIp,
          nowMs: this.engine.clock.now(),
          limits: this.engine.limits,
          kind: "step",
        }),
      );
    } catch (error) {
      this.engine.log(
        `could not deliver invoke result to ${invoker.workflowRunId}: ${(error as Error).message}`,
      );
    }
  }

  async handleWaitTimeout(rest: string): Promise<void> {
    await this.waits.handleTimeout(rest);
  }

  /** Publishes a server-made step (wait/notify/webhook result) into a run, as its waiter's headers describe. */
  async publishServerStep(
    runId: string,
    url: string,
    headerArrays: HeaderArrays,
    step: Record<string, unknown>,
  ): Promise<string | undefined> {
    const run = await this.get(runId);
    if (run?.state !== "RUN_STARTED") return undefined;
    const headers: HeaderMap = {};
    for (const [name, values] of Object.entries(headerArrays)) {
      const first = values[0];
      if (first !== undefined) headers[canonicalKey(name)] = first;
    }
    headers["Upstash-Workflow-Runid"] = runId;
    headers["Upstash-Workflow-Init"] = "false";
    headers["Upstash-Workflow-Calltype"] = "step";
    if (!headers["Content-Type"]) headers["Content-Type"] = "application/json";
    delete headers["Upstash-Delay"];
    delete headers["Upstash-Not-Before"];
    const result = await this.engine.publish(
      buildMessage({
        destination: url,
        headers,
        body: Buffer.from(JSON.stringify(step)),
        callerIp: run.callerIp,
        nowMs: this.engine.clock.now(),
        limits: this.engine.limits,
        kind: "step",
      }),
    );
    return result.messageId;
  }
}

function parseInvokeBody(bodyBase64: string): { body: string; invoker: Invoker } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(bodyBase64, "base64").toString("utf8")) as {
      body?: string;
      headers?: HeaderArrays;
      workflowRunId?: string;
      workflowRunCreatedAt?: number;
      workflowUrl?: string;
      step?: Record<string, unknown>;
    };
    if (!parsed.workflowRunId || !parsed.workflowUrl) return undefined;
    return {
      body: parsed.body ?? "",
      invoker: {
        workflowRunId: parsed.workflowRunId,
        workflowUrl: parsed.workflowUrl,
        workflowRunCreatedAt: parsed.workflowRunCreatedAt ?? 0,
        step: parsed.step ?? {},
        headers: parsed.headers ?? {},
      },
    };
  } catch {
    return undefined;
  }
}

/** Rebuilds publish headers (raw config + `Upstash-Forward-*` + Content-Type) from a stored message. */
export function publishHeadersOf(message: StoredMessage): HeaderMap {
  const headers: HeaderMap = { ...message.config };
  for (const [name, value] of Object.entries(message.forward))
    headers[canonicalKey(`Upstash-Forward-${name}`)] = value;
  if (message.contentType !== undefined) headers["Content-Type"] = message.contentType;
  return headers;
}
