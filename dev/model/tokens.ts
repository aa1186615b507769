/**
 * Token counts for `usage` and the tokens-per-minute limit.
 *
 * Text is counted with a real BPE tokenizer (gpt-tokenizer, pure JavaScript, offline) using
 * `o200k_base`, the encoding of OpenAI's GPT-4o / GPT-4.1 / GPT-5 family. Message framing is modelled
 * with small fixed overheads, as OpenAI documents for chat formats, so totals are close to, not
 * byte-exact with, what the real API reports.
 */
import { countTokens, decode, encode } from "gpt-tokenizer/encoding/o200k_base";
import type { Conversation, Decision, Turn } from "./conversation";

/** Role and separator tokens OpenAI adds around each message. */
const PER_TURN_OVERHEAD = 4;
/** Tokens that prime the assistant's reply. */
const REPLY_PRIMING = 3;
/** A low-detail image costs 85 tokens; used for every non-text part. */
const PER_MEDIA_PART = 85;
const PER_TOOL_CALL_OVERHEAD = 3;

export function countTextTokens(text: string): number {
  return countTokens(text);
}

export function countInputTokens(conversation: Conversation): number {
  const turns = conversation.turns.reduce((sum, turn) => sum + turnTokens(turn), 0);
  const tools = conversation.tools.length > 0 ? countTextTokens(JSON.stringify(conversation.tools)) : 0;
  const format =
    conversation.format.kind === "json-schema"
      ? countTextTokens(JSON.stringify(conversation.format.schema))
      : 0;
  return turns + tools + format + conversation.mediaParts * PER_MEDIA_PART + REPLY_PRIMING;
}

function turnTokens(turn: Turn): number {
  switch (turn.kind) {
    case "tool-call":
      return PER_TURN_OVERHEAD + countTextTokens(turn.name) + countTextTokens(turn.argumentsJson);
    case "tool-result":
      return PER_TURN_OVERHEAD + countTextTokens(turn.output);
    default:
      return PER_TURN_OVERHEAD + countTextTokens(turn.text);
  }
}

export function countOutputTokens(decision: Decision): number {
  if (decision.kind === "reply") return countTextTokens(decision.text);
  return decision.calls.reduce(
    (sum, call) =>
      sum + PER_TOOL_CALL_OVERHEAD + countTextTokens(call.name) + countTextTokens(call.argumentsJson),
    0,
  );
}

/** The first `maxTokens` tokens of `text`. */
export function truncateToTokens(text: string, maxTokens: number): string {
  return decode(encode(text).slice(0, Math.max(0, maxTokens)));
}
