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
 * Runs one turn's tool calls. Every call that needs approval is put up for review at once (parallel
 * steps), so a reviewer sees them all together and may decide in any order; the run then takes the
 * decisions call by call (one decided early is kept by QStash's lookback), each with its own deadline.
 * Then every call is its own step, in parallel; a declined call still gets a step, which records the
 * outcome and tells the model.
 */
export async function runToolCalls(turn: ToolTurn): Promise<AgentToolResult[]> {
  const asking: Array<{ call: AgentToolCall; index: number }> = [];
  for (const [index, call] of turn.calls.entries()) {
    const tool = turn.tools[call.toolName];
    if (tool && (await needsApproval(tool, call, turn.messages))) asking.push({ call, index: index + 1 });
  }
  const requests = await Promise.all(asking.map(({ call, index }) => requestApproval(turn, call, index)));
  const verdicts = new Map<string, Verdict>();
  for (const [position, { call, index }] of asking.entries()) {
    verdicts.set(
      call.toolCallId,
      await awaitDecision(turn, call, index, requests[position] as ApprovalRecord),
    );
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

/** Records that a call waits for a human (the dashboard and the run API list it from now on). */
function requestApproval(turn: ToolTurn, call: AgentToolCall, index: number): Promise<ApprovalRecord> {
  const { context, runId, services } = turn;
  return context.run(turn.names.approvalRequest(turn.turn, call.toolName, index), async () => {
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
}

/** Waits for the decision on one call until its own deadline (requested together, decided in any order). */
async function awaitDecision(
  turn: ToolTurn,
  call: AgentToolCall,
  index: number,
  request: ApprovalRecord,
): Promise<Verdict> {
  // Only the first wait is scheduled with this value; a replay reads the recorded outcome.
  const secondsLeft = Math.max(1, Math.ceil((request.expiresAt - Date.now()) / 1_000));
  const { eventData, timeout } = await turn.context.waitForEvent<ApprovalEvent>(
    turn.names.approvalWait(turn.turn, call.toolName, index),
    approvalEventId(turn.runId, call.toolCallId),
    { timeout: Math.min(secondsLeft, turn.approvalTimeoutSeconds) },
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
