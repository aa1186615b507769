/**
 * Test directives: lines in a prompt that tell the dev model exactly what to do, so a test can drive
 * a multi-step tool loop precisely. Each `dev-model:` line is one step; step N applies after N rounds
 * of tool results (counted since the last user message).
 *
 *   dev-model: call getWeather, search            call these tools, arguments generated from their schemas
 *   dev-model: call getWeather {"city": "Paris"}  call with exactly these arguments (sent as given)
 *   dev-model: reply "Done: it is sunny."         answer with this text (a JSON string literal)
 *   dev-model: reply Done, unquoted               answer with the rest of the line
 *   dev-model: reply                              answer with the default answer
 */
import { InvalidRequestError } from "./errors";

export type Directive =
  | { kind: "call"; calls: DirectedCall[] }
  /** `text` undefined: the default answer. */
  | { kind: "reply"; text: string | undefined };

export interface DirectedCall {
  name: string;
  /** Serialized JSON arguments, when given explicitly. */
  argumentsJson: string | undefined;
}

export class DirectiveError extends InvalidRequestError {
  constructor(line: string, problem: string) {
    super(`Bad dev-model directive "${line.trim()}": ${problem}`, null, "invalid_dev_model_directive");
  }
}

const DIRECTIVE_LINE = /^\s*dev-model:\s*(.*)$/i;

/** The directive lines of a prompt, in order. */
export function parseDirectives(text: string): Directive[] {
  const directives: Directive[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = DIRECTIVE_LINE.exec(line);
    if (match) directives.push(parseDirective(line, (match[1] ?? "").trim()));
  }
  return directives;
}

/** The prompt without its directive lines (what string arguments are derived from). */
export function stripDirectives(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line) => !DIRECTIVE_LINE.test(line))
    .join("\n")
    .trim();
}

function parseDirective(line: string, body: string): Directive {
  const [, verb = "", rest = ""] = /^(\S*)\s*([\s\S]*)$/.exec(body) ?? [];
  switch (verb.toLowerCase()) {
    case "call":
      return { kind: "call", calls: parseCalls(line, rest) };
    case "reply":
      return { kind: "reply", text: parseReplyText(line, rest.trim()) };
    default:
      throw new DirectiveError(line, `unknown verb "${verb}" (use "call" or "reply")`);
  }
}

function parseReplyText(line: string, rest: string): string | undefined {
  if (rest === "") return undefined;
  if (!rest.startsWith('"')) return rest;
  try {
    const text: unknown = JSON.parse(rest);
    if (typeof text === "string") return text;
  } catch {
    // reported below
  }
  throw new DirectiveError(line, "a quoted reply must be one JSON string literal");
}

function parseCalls(line: string, rest: string): DirectedCall[] {
  const calls: DirectedCall[] = [];
  let position = 0;
  while (position < rest.length) {
    position = skip(rest, position, /[\s,]/);
    if (position >= rest.length) break;
    const name = /^[a-zA-Z0-9_-]+/.exec(rest.slice(position))?.[0];
    if (!name) throw new DirectiveError(line, `expected a tool name at "${rest.slice(position)}"`);
    position = skip(rest, position + name.length, /\s/);
    let argumentsJson: string | undefined;
    if (rest[position] === "{") {
      const end = endOfJsonObject(rest, position);
      if (end === undefined) throw new DirectiveError(line, `unbalanced arguments for ${name}`);
      argumentsJson = validJson(line, name, rest.slice(position, end));
      position = end;
    }
    calls.push({ name, argumentsJson });
  }
  if (calls.length === 0) throw new DirectiveError(line, "name at least one tool to call");
  return calls;
}

function validJson(line: string, name: string, text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new DirectiveError(line, `arguments for ${name} are not valid JSON (${(error as Error).message})`);
  }
}

function skip(text: string, position: number, pattern: RegExp): number {
  let at = position;
  while (at < text.length && pattern.test(text.charAt(at))) at++;
  return at;
}

/** Index just past the `}` closing the object that starts at `start`, ignoring braces inside strings. */
function endOfJsonObject(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let at = start; at < text.length; at++) {
    const char = text.charAt(at);
    if (inString) {
      if (char === "\\") at++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{") {
      depth++;
    } else if (char === "}" && --depth === 0) {
      return at + 1;
    }
  }
  return undefined;
}
