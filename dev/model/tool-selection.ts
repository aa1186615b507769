/**
 * Which tools a prompt asks for: those it names, in the order it names them, or else the one whose
 * name and description share the most words with it.
 */
import type { ToolSpec } from "./conversation";

const STOP_WORDS = new Set(
  "the and for with that this from into about what which when where your you are was were has have had not but can use using please tool tools call get".split(
    " ",
  ),
);
/** A name word counts double: naming what the tool is about beats a word in its description. */
const NAME_WORD_WEIGHT = 2;
const MIN_RELEVANCE = 2;

/** Tools named in `prompt` (exactly, or with `_`/`-`/camelCase read as spaces), by first mention. */
export function mentionedTools(prompt: string, tools: ToolSpec[]): ToolSpec[] {
  return tools
    .map((tool, order) => ({ tool, order, at: firstMention(prompt, tool.name) }))
    .filter((entry) => entry.at >= 0)
    .sort((a, b) => a.at - b.at || a.order - b.order)
    .map((entry) => entry.tool);
}

function firstMention(prompt: string, name: string): number {
  const spellings = [escapeRegExp(name)];
  const words = nameWords(name);
  if (words.length > 1) spellings.push(words.map(escapeRegExp).join("[\\s_-]+"));
  const positions = spellings
    .map((spelling) => new RegExp(`(?<![A-Za-z0-9_])${spelling}(?![A-Za-z0-9_])`, "i").exec(prompt)?.index)
    .filter((index): index is number => index !== undefined);
  return positions.length > 0 ? Math.min(...positions) : -1;
}

/** The tool sharing the most words with the prompt, if any shares enough; ties go to the first declared. */
export function mostRelevantTool(prompt: string, tools: ToolSpec[]): ToolSpec | undefined {
  const promptWords = new Set(contentWords(prompt));
  let best: { tool: ToolSpec; score: number } | undefined;
  for (const tool of tools) {
    const score =
      NAME_WORD_WEIGHT * countShared(nameWords(tool.name), promptWords) +
      countShared(contentWords(tool.description), promptWords);
    if (score >= MIN_RELEVANCE && (!best || score > best.score)) best = { tool, score };
  }
  return best?.tool;
}

function countShared(words: string[], pool: Set<string>): number {
  return new Set(words.filter((word) => pool.has(word))).size;
}

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .map((word) => word.toLowerCase())
    .filter((word) => word.length > 0);
}

function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter(
    (word) => word.length >= 3 && !STOP_WORDS.has(word),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
