import type { WorkflowContext } from "@upstash/workflow";
import type { LanguageModel, ModelMessage, ToolSet } from "ai";
import type { RunServices } from "../workflow/services";
import {
  type BudgetCounters,
  type BudgetTurn,
  estimateTokens,
  type Held,
  reconcileBudget,
  reserveBudget,
  sleepSeconds,
} from "./budget";
import { AgentConfigError, ModelCallError } from "./errors";
import { AGENT_NAME, type StepNames, stepNames } from "./names";
import { offloadTurn } from "./offload";
import { createDeltaSink } from "./stream";
import { runToolCalls, toolResultMessage, toolsForModel } from "./tools";
import { callModel, type TurnSpec } from "./turn";
import {
  type AgentOptions,
  type AgentResult,
  type AgentState,
  type AgentToolResult,
  isRateLimited,
  type TokenUsage,
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
  private debt = 0;

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

  /** One model call, with its budget reservation, rate-limit sleeps and reconciliation. */
  private async modelTurn(turn: number): Promise<TurnResult> {
    const spec = this.turnSpec();
    const budget = this.budgetTurn(turn);
    const counters: BudgetCounters = { reservations: 0, waits: 0 };
    const estimate = budget
      ? estimateTokens(spec.system, spec.messages, this.tools, this.outputAllowance())
      : 0;
    let held: Held | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_TURN; attempt++) {
      if (budget) held = await reserveBudget(budget, estimate + this.debt, counters, held);
      const outcome = await this.callStep(turn, attempt, spec);
      if (!isRateLimited(outcome)) {
        if (budget && held) this.debt = await reconcileBudget(budget, held, outcome.usage.totalTokens);
        return outcome;
      }
      if (attempt === MAX_ATTEMPTS_PER_TURN) break;
      await this.ctx.context.sleep(
        this.names.rateLimitWait(turn, attempt),
        sleepSeconds(outcome.rateLimited.retryAfterMs),
      );
    }
    throw new ModelCallError(
      429,
      `turn ${turn} was refused ${MAX_ATTEMPTS_PER_TURN} times (rate limit or server error)`,
    );
  }

  private callStep(turn: number, attempt: number, spec: TurnSpec) {
    const stepName = this.names.turn(turn, attempt);
    if (this.options.mode === "offload") {
      return offloadTurn(this.ctx.context, stepName, spec, this.options.offloadTimeoutSeconds ?? 900);
    }
    return this.ctx.context.run(stepName, async () => {
      if (!this.options.stream) return callModel(spec);
      const sink = createDeltaSink({
        store: this.ctx.services.store,
        runId: this.ctx.runId,
        agent: this.options.name,
        turn,
        attempt: this.ctx.context.retried + 1,
        onCommands: (commands) => this.ctx.services.tracker.countCommands(this.ctx.runId, commands),
      });
      try {
        return await callModel(spec, (text) => sink.push(text));
      } finally {
        await sink.close();
      }
    });
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
