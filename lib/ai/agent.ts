import type { WorkflowContext } from "@upstash/workflow";
import type { LanguageModel, ModelMessage, ToolSet } from "ai";
import { BudgetTooSmallError } from "../budgets/budgets";
import type { RunServices } from "../workflow/services";
import {
  awaitBudget,
  type BudgetDenied,
  type BudgetRefused,
  type BudgetTurn,
  type CallEstimate,
  isBudgetDenied,
  isBudgetRefused,
  reserveBudget,
  settleBudget,
  sleepSeconds,
  withBudgetInStep,
} from "./budget";
import { withinFunctionLimit } from "./duration";
import { AgentConfigError, ModelCallError } from "./errors";
import { AGENT_NAME, type StepNames, stepNames } from "./names";
import { offloadTurn } from "./offload";
import { createDeltaSink } from "./stream";
import { estimatePromptTokens } from "./tokens";
import { runToolCalls, toolResultMessage, toolsForModel } from "./tools";
import { callModel, type TurnSpec } from "./turn";
import {
  type AgentOptions,
  type AgentResult,
  type AgentState,
  type AgentToolResult,
  isRateLimited,
  type TokenUsage,
  type TurnOutcome,
  type TurnResult,
} from "./types";

/** What runAgent needs from the workflow handler: pass the handler's argument as is. */
export interface AgentRun {
  context: WorkflowContext<unknown>;
  runId: string;
  services: RunServices;
}

const DEFAULT_MAX_TURNS = 10;
/** Rate-limited or failed (5xx) attempts of one turn before the run fails. */
const MAX_ATTEMPTS_PER_TURN = 8;
const DEFAULT_OUTPUT_ALLOWANCE = 512;
const DAY_SECONDS = 86_400;

/**
 * A durable tool-using agent: each model turn is one step, each tool call its own step (a turn's calls
 * run in parallel), so a crash between steps resumes without calling the model or a tool again.
 *
 *   const result = await runAgent(run, { name: "research", model, prompt, tools, maxTurns: 8 });
 */
export async function runAgent<TOOLS extends ToolSet, OUTPUT = unknown>(
  run: AgentRun,
  options: AgentOptions<TOOLS, OUTPUT>,
): Promise<AgentResult<OUTPUT>> {
  const agent = new Agent(run, options as AgentOptions);
  return (await agent.run()) as AgentResult<OUTPUT>;
}

class Agent {
  private readonly names: StepNames;
  private readonly tools: ToolSet;
  private readonly messages: ModelMessage[];
  private readonly state: AgentState = { turn: 0, turns: [], toolResults: [] };

  constructor(
    private readonly ctx: AgentRun,
    private readonly options: AgentOptions,
  ) {
    checkOptions(options);
    this.names = stepNames(options.name);
    this.tools = options.tools ?? {};
    this.messages = initialMessages(options);
  }

  async run(): Promise<AgentResult> {
    const maxTurns = this.options.maxTurns ?? DEFAULT_MAX_TURNS;
    let last: TurnResult | undefined;
    for (let turn = 1; turn <= maxTurns; turn++) {
      this.state.turn = turn;
      last = await this.modelTurn(turn);
      this.state.turns.push(last);
      this.messages.push(...last.responseMessages);
      if (last.toolCalls.length === 0) break;
      const results = await this.toolTurn(turn, last);
      this.state.toolResults.push(...results);
      this.messages.push(toolResultMessage(results));
      if (this.options.stopWhen?.(this.state)) break;
    }
    return this.result(last as TurnResult);
  }

  /**
   * One model call, with its rate-limit sleeps and, when the model has a budget, its reservation and
   * settlement. Inline, those happen inside the call's own step (no extra QStash messages); a
   * reservation the budget cannot grant ends the step without calling the model, and the run waits
   * durably until the budget has room for it. Offloaded calls run in QStash, so they reserve and
   * settle in steps of their own.
   */
  private async modelTurn(turn: number): Promise<TurnResult> {
    const spec = this.turnSpec();
    const budget = this.budgetTurn(turn);
    if (budget && this.options.mode === "offload") return this.offloadedBudgetTurn(turn, spec, budget);
    let budgetWaits = 0;
    let refused = 0;
    for (let call = 1; ; call++) {
      const outcome = await this.callStep(turn, call, spec, budget);
      if (isBudgetRefused(outcome)) throw new BudgetTooSmallError(outcome.budgetRefused);
      if (isBudgetDenied(outcome)) {
        budgetWaits++;
        await awaitBudget(budget as BudgetTurn, this.names.budgetWait(turn, budgetWaits), outcome);
        continue;
      }
      if (!isRateLimited(outcome)) return outcome;
      refused++;
      if (refused === MAX_ATTEMPTS_PER_TURN) throw turnRefused(turn);
      await this.ctx.context.sleep(
        this.names.rateLimitWait(turn, refused),
        sleepSeconds(outcome.rateLimited.retryAfterMs),
      );
    }
  }

  /** Offload: a reserve step, the call through QStash, a settle step. */
  private async offloadedBudgetTurn(turn: number, spec: TurnSpec, budget: BudgetTurn): Promise<TurnResult> {
    const counters = { reservations: 0, waits: 0 };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_TURN; attempt++) {
      const held = await reserveBudget(budget, () => this.estimate(spec), counters);
      if (isBudgetRefused(held)) throw new BudgetTooSmallError(held.budgetRefused);
      const outcome = await this.offload(this.names.turn(turn, attempt), spec);
      await settleBudget(budget, held, outcome, attempt);
      if (!isRateLimited(outcome)) return outcome;
      if (attempt === MAX_ATTEMPTS_PER_TURN) break;
      await this.ctx.context.sleep(
        this.names.rateLimitWait(turn, attempt),
        sleepSeconds(outcome.rateLimited.retryAfterMs),
      );
    }
    throw turnRefused(turn);
  }

  private callStep(
    turn: number,
    call: number,
    spec: TurnSpec,
    budget: BudgetTurn | undefined,
  ): Promise<TurnOutcome | BudgetDenied | BudgetRefused> {
    const stepName = this.names.turn(turn, call);
    if (this.options.mode === "offload") return this.offload(stepName, spec);
    const inline = () =>
      withinFunctionLimit(
        this.functionLimit(),
        `Agent "${this.options.name}", step "${stepName}"`,
        (signal) => this.callModel(turn, spec, signal),
      );
    return this.ctx.context.run(stepName, () =>
      budget ? withBudgetInStep(budget, () => this.estimate(spec), inline) : inline(),
    );
  }

  /** The function's duration limit inline calls run under, when the app configured one. */
  private functionLimit() {
    const { services, runId } = this.ctx;
    const maxDurationSeconds = services.functionMaxDurationSeconds;
    if (!maxDurationSeconds) return undefined;
    return {
      maxDurationSeconds,
      warn: (message: string) => {
        console.warn(`[overtime] ${message}`);
        services.tracker.log(runId, message);
      },
    };
  }

  /** The call as a `context.call` step: QStash waits for the model while no function runs. */
  private offload(stepName: string, spec: TurnSpec): Promise<TurnOutcome> {
    return offloadTurn(this.ctx.context, stepName, spec, this.options.offloadTimeoutSeconds ?? 900);
  }

  /** The model call itself, inside the current step (streamed to the run's channel if asked). */
  private async callModel(turn: number, spec: TurnSpec, signal?: AbortSignal): Promise<TurnOutcome> {
    if (!this.options.stream) return callModel(spec, undefined, signal);
    const sink = createDeltaSink({
      store: this.ctx.services.store,
      runId: this.ctx.runId,
      agent: this.options.name,
      turn,
      attempt: this.ctx.context.retried + 1,
      onCommands: (commands) => this.ctx.services.tracker.countCommands(this.ctx.runId, commands),
    });
    try {
      return await callModel(spec, (text) => sink.push(text), signal);
    } finally {
      await sink.close();
    }
  }

  /**
   * What the call will count at the provider, from above (prompt, tools with their schemas, output
   * schema, output allowance). Counted inside the call's step, so replays never count it again.
   */
  private async estimate(spec: TurnSpec): Promise<CallEstimate> {
    const prompt = await estimatePromptTokens({
      system: spec.system,
      messages: spec.messages,
      tools: this.tools,
      output: spec.output,
    });
    const outputTokens = this.outputAllowance();
    return { tokens: prompt + outputTokens, outputTokens };
  }

  private toolTurn(turn: number, last: TurnResult): Promise<AgentToolResult[]> {
    return runToolCalls({
      context: this.ctx.context,
      runId: this.ctx.runId,
      services: this.ctx.services,
      names: this.names,
      agent: this.options.name,
      turn,
      tools: this.tools,
      calls: last.toolCalls,
      messages: [...this.messages],
      approvalTimeoutSeconds: this.options.approvalTimeoutSeconds ?? DAY_SECONDS,
      toolErrors: this.options.toolErrors ?? "model",
    });
  }

  private turnSpec(): TurnSpec {
    return {
      model: this.options.model,
      system: this.options.system,
      messages: [...this.messages],
      tools: toolsForModel(this.tools),
      output: this.options.output,
      maxOutputTokens: this.options.maxOutputTokens,
      temperature: this.options.temperature,
    };
  }

  private budgetTurn(turn: number): BudgetTurn | undefined {
    if (this.options.budget === false) return undefined;
    const model = modelId(this.options.model);
    if (!this.ctx.services.budgets.has(model)) return undefined;
    const { context, runId, services } = this.ctx;
    return { context, runId, services, names: this.names, turn, model, tenant: this.options.budget?.tenant };
  }

  private outputAllowance(): number {
    const budget = this.options.budget || undefined;
    return budget?.reserveOutputTokens ?? this.options.maxOutputTokens ?? DEFAULT_OUTPUT_ALLOWANCE;
  }

  private result(last: TurnResult): AgentResult {
    return {
      text: last.text,
      ...(last.output !== undefined && { output: last.output }),
      turns: this.state.turns.length,
      toolCalls: this.state.turns.flatMap((turn) => turn.toolCalls),
      toolResults: this.state.toolResults,
      usage: sumUsage(this.state.turns.map((turn) => turn.usage)),
      finishReason: last.finishReason,
      messages: this.messages,
    };
  }
}

function turnRefused(turn: number): ModelCallError {
  return new ModelCallError(
    429,
    `turn ${turn} was refused ${MAX_ATTEMPTS_PER_TURN} times (rate limit or server error)`,
  );
}

function checkOptions(options: AgentOptions): void {
  if (!AGENT_NAME.test(options.name)) {
    throw new AgentConfigError(
      `Agent name ${JSON.stringify(options.name)} must match ${AGENT_NAME}: it becomes part of step names.`,
    );
  }
  if (options.prompt === undefined && !options.messages?.length) {
    throw new AgentConfigError(`Agent "${options.name}" needs a prompt or messages.`);
  }
  if (options.stream && options.mode === "offload") {
    throw new AgentConfigError(
      `Agent "${options.name}": streaming needs mode "inline" (an offloaded call runs in QStash, not here).`,
    );
  }
}

function initialMessages(options: AgentOptions): ModelMessage[] {
  const messages = [...(options.messages ?? [])];
  if (options.prompt !== undefined) messages.push({ role: "user", content: options.prompt });
  return messages;
}

export function modelId(model: LanguageModel): string {
  return typeof model === "string" ? model : model.modelId;
}

function sumUsage(usages: TokenUsage[]): TokenUsage {
  return usages.reduce(
    (sum, usage) => ({
      inputTokens: sum.inputTokens + usage.inputTokens,
      outputTokens: sum.outputTokens + usage.outputTokens,
      totalTokens: sum.totalTokens + usage.totalTokens,
    }),
    { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  );
}
