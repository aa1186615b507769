import { type WorkflowContext, WorkflowNonRetryableError } from "@upstash/workflow";
import type { ModelMessage, ToolSet } from "ai";
import { DEFAULT_STEP_RETRIES, RETRIES_HEADER } from "../runs/tracking";
import type { RunServices } from "../workflow/services";
import { type ApprovalEvent, type ApprovalRecord, approvalEventId } from "./approvals";
import { UnknownToolError } from "./errors";
import type { StepNames } from "./names";
import type { AgentToolCall, AgentToolResult } from "./types";

export interface ToolTurn {
  context: WorkflowContext<unknown>;
  runId: string;
  services: RunServices;
  names: StepNames;
  agent: string;
  turn: number;
  tools: ToolSet;
  calls: AgentToolCall[];
  /** The conversation the model saw (passed to `execute` and `needsApproval`). */
  messages: ModelMessage[];
  approvalTimeoutSeconds: number;
  toolErrors: "model" | "fail";
}

type Verdict = { approved: true } | { approved: false; reason: "declined" | "timeout"; note?: string };

/** The tools as the model sees them: same schemas, no `execute`, so the SDK hands the calls back. */
export function toolsForModel(tools: ToolSet): ToolSet {
  return Object.fromEntries(
    Object.entries(tools).map(([name, tool]) => [
      name,
      { ...tool, execute: undefined, needsApproval: undefined },
    ]),
  ) as ToolSet;
}

/**
 * Runs one turn's tool calls. Calls that need approval wait for it first (one after another; a decision
 * that arrives early is kept by QStash's lookback). Then every call is its own step, in parallel; a
 * declined call still gets a step, which records the outcome and tells the model.
 */
export async function runToolCalls(turn: ToolTurn): Promise<AgentToolResult[]> {
  const verdicts = new Map<string, Verdict>();
  for (const [index, call] of turn.calls.entries()) {
    const tool = turn.tools[call.toolName];
    if (tool && (await needsApproval(tool, call, turn.messages))) {
      verdicts.set(call.toolCallId, await awaitApproval(turn, call, index + 1));
    }
  }
  return Promise.all(
    turn.calls.map((call, index) =>
      turn.context.run(turn.names.tool(turn.turn, call.toolName, index + 1), () =>
        executeCall(turn, call, verdicts.get(call.toolCallId)),
      ),
    ),
  );
}

/** The tool message that answers a turn's calls. */
export function toolResultMessage(results: AgentToolResult[]): ModelMessage {
  return {
    role: "tool",
    content: results.map((result) => ({
      type: "tool-result" as const,
      toolCallId: result.toolCallId,
      toolName: result.toolName,
      output: result.declined
        ? { type: "text" as const, value: declinedText(result.declined) }
        : result.error !== undefined
          ? { type: "error-text" as const, value: `The tool failed: ${result.error}` }
          : { type: "json" as const, value: (result.output ?? null) as never },
    })),
  };
}

function declinedText(declined: NonNullable<AgentToolResult["declined"]>): string {
  const why = declined.reason === "timeout" ? "nobody approved it in time" : "a human reviewer declined it";
  const note = declined.note ? ` Reviewer's note: ${declined.note.trim().replace(/([^.!?])$/, "$1.")}` : "";
  return `This tool call was not executed: ${why}.${note} Do not call it again with the same arguments.`;
}

/** `needsApproval` must depend only on the arguments: it is evaluated again on every replay. */
async function needsApproval(tool: ToolSet[string], call: AgentToolCall, messages: ModelMessage[]) {
  const rule = tool.needsApproval;
  if (typeof rule !== "function") return rule === true;
  return Boolean(
    await rule(call.input as never, { toolCallId: call.toolCallId, messages, context: undefined as never }),
  );
}

async function awaitApproval(turn: ToolTurn, call: AgentToolCall, index: number): Promise<Verdict> {
  const { context, runId, services } = turn;
  await context.run(turn.names.approvalRequest(turn.turn, call.toolName, index), async () => {
    const now = Date.now();
    const record: ApprovalRecord = {
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      input: call.input,
      agent: turn.agent,
      turn: turn.turn,
      status: "pending",
      requestedAt: now,
      expiresAt: now + turn.approvalTimeoutSeconds * 1_000,
    };
    services.tracker.queueWrite(...services.approvals.request(runId, record));
    return record;
  });
  const { eventData, timeout } = await context.waitForEvent<ApprovalEvent>(
    turn.names.approvalWait(turn.turn, call.toolName, index),
    approvalEventId(runId, call.toolCallId),
    { timeout: turn.approvalTimeoutSeconds },
  );
  if (timeout || !eventData) return { approved: false, reason: "timeout" };
  if (eventData.approved) return { approved: true };
  return { approved: false, reason: "declined", note: eventData.note };
}

async function executeCall(turn: ToolTurn, call: AgentToolCall, verdict: Verdict | undefined) {
  if (verdict) recordSettlement(turn, call, verdict);
  if (verdict && !verdict.approved) {
    const declined = { reason: verdict.reason, ...(verdict.note && { note: verdict.note }) };
    return { ...call, output: null, declined } satisfies AgentToolResult;
  }
  const tool = turn.tools[call.toolName];
  if (!tool?.execute) {
    // A name the model made up never works on a retry: with "model", it is told at once.
    const unknown = new UnknownToolError(call.toolName, Object.keys(turn.tools));
    if (turn.toolErrors === "fail") throw unknown;
    return { ...call, output: null, error: unknown.message } satisfies AgentToolResult;
  }
  try {
    const output = await tool.execute(call.input as never, {
      toolCallId: call.toolCallId,
      messages: turn.messages,
      context: undefined as never,
    });
    return { ...call, output: output === undefined ? null : output } satisfies AgentToolResult;
  } catch (error) {
    // A non-retryable error is the tool asking to fail the run; anything else reaches the model last.
    if (turn.toolErrors === "fail" || error instanceof WorkflowNonRetryableError) throw error;
    if (!isLastAttempt(turn.context)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { ...call, output: null, error: message } satisfies AgentToolResult;
  }
}

/** Whether QStash will not retry this delivery again (the run's retries travel in a header). */
function isLastAttempt(context: WorkflowContext<unknown>): boolean {
  const retries = Number(context.headers.get(RETRIES_HEADER) ?? DEFAULT_STEP_RETRIES);
  return context.retried >= (Number.isFinite(retries) ? retries : DEFAULT_STEP_RETRIES);
}

function recordSettlement(turn: ToolTurn, call: AgentToolCall, verdict: Verdict): void {
  const status = verdict.approved ? "approved" : verdict.reason === "timeout" ? "timeout" : "declined";
  const note = verdict.approved ? undefined : verdict.note;
  turn.services.tracker.queueWrite(
    ...turn.services.approvals.settle(turn.runId, call.toolCallId, { status, note }),
  );
}
