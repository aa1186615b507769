/**
 * What the dev model answers. It is not an LLM: every decision is a pure function of the
 * conversation, so the same request always gets the same answer.
 *
 * 1. A `dev-model:` directive for the current step wins (see directives.ts).
 * 2. Otherwise, with tools offered and no tool results since the last user message, it calls the
 *    tools that message names (several names → several calls, unless `parallel_tool_calls` is false),
 *    else the most relevant one; arguments fit the tool's JSON schema, strings taken from the prompt.
 *    A forced `tool_choice` (required / a named function) calls on every step, as OpenAI does.
 * 3. Otherwise it answers: after tool results, with a text quoting them; before, with a text quoting
 *    the prompt. A JSON response format gets a schema-valid JSON value built from the same material.
 */
import type { Conversation, Decision, PlannedToolCall, ReplyFormat, ToolSpec, Turn } from "./conversation";
import { type Directive, DirectiveError, parseDirectives, stripDirectives } from "./directives";
import { parseJson, promptHints, resultHints } from "./hints";
import { stableId } from "./ids";
import { generateSchemaValue } from "./schema-value";
import { countTextTokens, truncateToTokens } from "./tokens";
import { mentionedTools, mostRelevantTool } from "./tool-selection";

const QUOTE_LIMIT = 300;

interface ToolResult {
  name: string;
  output: string;
}

/** What the policy reads off a conversation. */
interface Situation {
  conversation: Conversation;
  /** The last user message, without directive lines. */
  prompt: string;
  /** Tool results since the last user message. */
  results: ToolResult[];
  /** Rounds of tool calls since the last user message: the directive step to apply. */
  step: number;
  directives: Directive[];
}

export function decide(conversation: Conversation): Decision {
  const situation = readSituation(conversation);
  const directive = situation.directives[situation.step];
  if (directive?.kind === "call") return directedCalls(directive, situation);
  if (directive?.kind === "reply" && directive.text !== undefined) return reply(directive.text, situation);
  if (!directive) {
    const chosen = toolsToCall(situation);
    if (chosen.length > 0)
      return toolCalls(
        chosen.map((tool) => ({ tool })),
        situation,
      );
  }
  return reply(defaultAnswer(situation), situation);
}

function readSituation(conversation: Conversation): Situation {
  const { turns } = conversation;
  const lastUser = findLastIndex(turns, (turn) => turn.kind === "user");
  const userText = lastUser >= 0 ? textOf(turns[lastUser]) : "";
  const since = turns.slice(lastUser + 1);
  const instructions = turns.filter((turn) => turn.kind === "instruction").map(textOf);
  const fromUser = parseDirectives(userText);
  return {
    conversation,
    prompt: stripDirectives(userText),
    results: toolResults(since, turns),
    step: countToolRounds(since),
    directives: fromUser.length > 0 ? fromUser : parseDirectives(instructions.join("\n")),
  };
}

function textOf(turn: Turn | undefined): string {
  return turn && "text" in turn ? turn.text : "";
}

function toolResults(since: Turn[], all: Turn[]): ToolResult[] {
  const names = new Map<string, string>();
  for (const turn of all) if (turn.kind === "tool-call") names.set(turn.callId, turn.name);
  return since.flatMap((turn) =>
    turn.kind === "tool-result" ? [{ name: names.get(turn.callId) ?? "tool", output: turn.output }] : [],
  );
}

/** A round is a run of consecutive tool calls (one assistant turn's parallel calls). */
function countToolRounds(turns: Turn[]): number {
  return turns.filter((turn, index) => turn.kind === "tool-call" && turns[index - 1]?.kind !== "tool-call")
    .length;
}

function toolsToCall(situation: Situation): ToolSpec[] {
  const { tools, toolChoice, parallelToolCalls } = situation.conversation;
  if (tools.length === 0 || toolChoice.mode === "none") return [];
  if (toolChoice.mode === "tool") return tools.filter((tool) => tool.name === toolChoice.name).slice(0, 1);
  if (toolChoice.mode === "auto" && situation.results.length > 0) return [];
  const mentioned = mentionedTools(situation.prompt, tools);
  const relevant = mostRelevantTool(situation.prompt, tools);
  const chosen = mentioned.length > 0 ? mentioned : relevant ? [relevant] : [];
  const forced = chosen.length === 0 && toolChoice.mode === "required" ? tools.slice(0, 1) : chosen;
  return parallelToolCalls ? forced : forced.slice(0, 1);
}

function directedCalls(directive: Extract<Directive, { kind: "call" }>, situation: Situation): Decision {
  const { tools } = situation.conversation;
  const planned = directive.calls.map((call) => {
    const tool = tools.find((candidate) => candidate.name === call.name);
    if (!tool) {
      const available = tools.map((candidate) => candidate.name).join(", ") || "none";
      throw new DirectiveError(
        `call ${call.name}`,
        `no tool named "${call.name}" in this request (tools: ${available})`,
      );
    }
    return { tool, argumentsJson: call.argumentsJson };
  });
  return toolCalls(planned, situation);
}

function toolCalls(
  /** Calls without `argumentsJson` get arguments generated from the tool's schema. */
  planned: Array<{ tool: ToolSpec; argumentsJson?: string | undefined }>,
  situation: Situation,
): Decision {
  const seed = JSON.stringify(situation.conversation.turns);
  const calls: PlannedToolCall[] = planned.map(({ tool, argumentsJson }, index) => ({
    callId: stableId("call", seed, tool.name, String(index)),
    name: tool.name,
    argumentsJson:
      argumentsJson ?? JSON.stringify(generateSchemaValue(tool.parameters, promptHints(situation.prompt))),
  }));
  return { kind: "tool-calls", calls };
}

function defaultAnswer(situation: Situation): string {
  const text =
    situation.results.length > 0 ? summarizeResults(situation.results) : echoPrompt(situation.prompt);
  return formatAnswer(situation.conversation.format, text, situation);
}

function formatAnswer(format: ReplyFormat, text: string, situation: Situation): string {
  switch (format.kind) {
    case "text":
      return text;
    case "json-object":
      return JSON.stringify({ answer: text });
    case "json-schema": {
      const outputs = situation.results.map((result) => result.output);
      const hints =
        outputs.length > 0 ? resultHints(outputs, situation.prompt, text) : promptHints(situation.prompt);
      return JSON.stringify(generateSchemaValue(format.schema, hints));
    }
  }
}

function summarizeResults(results: ToolResult[]): string {
  const quoted = results.map((result) => `${result.name} returned ${quoteOutput(result.output)}`);
  const noun = results.length === 1 ? "tool result" : "tool results";
  return `Based on ${results.length} ${noun}: ${quoted.join("; ")}.`;
}

function quoteOutput(output: string): string {
  const parsed = parseJson(output);
  const shown = typeof parsed === "string" ? parsed : parsed === undefined ? output : JSON.stringify(parsed);
  const short = shown.length > QUOTE_LIMIT ? `${shown.slice(0, QUOTE_LIMIT)}…` : shown;
  return typeof parsed === "string" || parsed === undefined ? JSON.stringify(short) : short;
}

function echoPrompt(prompt: string): string {
  if (prompt === "") return "Dev model reply (not an LLM). There was no user message.";
  const oneLine = prompt.replace(/\s+/g, " ");
  const short = oneLine.length > QUOTE_LIMIT ? `${oneLine.slice(0, QUOTE_LIMIT)}…` : oneLine;
  return `Dev model reply (not an LLM). You said: ${JSON.stringify(short)}`;
}

function reply(text: string, situation: Situation): Decision {
  const limit = situation.conversation.maxOutputTokens;
  if (limit === undefined || countTextTokens(text) <= limit) return { kind: "reply", text, truncated: false };
  return { kind: "reply", text: truncateToTokens(text, limit), truncated: true };
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index];
    if (item !== undefined && predicate(item)) return index;
  }
  return -1;
}
