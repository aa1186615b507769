/**
 * Where argument and answer values come from: `name=value` / `name: value` pairs and quoted text in
 * the prompt, and the fields of JSON tool results.
 */
import { isPlainObject } from "./json-schema";
import type { ValueHints } from "./schema-value";

/**
 * Hints from a prompt. A property `city` takes its value from `city=Paris`, `city: "New York"` or
 * `city: New York` (up to `,` `;` or the line end); other strings take the first double-quoted text
 * of the prompt, or else the prompt itself.
 */
export function promptHints(prompt: string): ValueHints {
  const quoted = /"((?:[^"\\]|\\.)+)"/.exec(prompt)?.[1];
  return {
    lookup: (name) => namedValue(prompt, name),
    text: quoted === undefined ? prompt : unescapeQuoted(quoted),
  };
}

function namedValue(prompt: string, name: string): string | undefined {
  const pattern = new RegExp(
    `(?<![\\w-])${escapeRegExp(name)}\\s*[:=]\\s*("(?:[^"\\\\]|\\\\.)*"|[^,;\\n]+)`,
    "i",
  );
  const raw = pattern.exec(prompt)?.[1];
  if (raw === undefined) return undefined;
  if (raw.startsWith('"')) return unescapeQuoted(raw.slice(1, -1));
  return raw.trim().replace(/[.?!]+$/, "");
}

function unescapeQuoted(text: string): string {
  try {
    const value: unknown = JSON.parse(`"${text}"`);
    return typeof value === "string" ? value : text;
  } catch {
    return text;
  }
}

/**
 * Hints for an answer built from tool results: any field of a JSON result (searched breadth-first,
 * first match wins), then the prompt's named values; strings default to `summary`.
 */
export function resultHints(outputs: string[], prompt: string, summary: string): ValueHints {
  const fromPrompt = promptHints(prompt);
  const parsed = outputs.map(parseJson);
  return {
    lookup: (name) => {
      for (const value of parsed) {
        const found = findField(value, name);
        if (found !== undefined) return found;
      }
      return fromPrompt.lookup(name);
    },
    text: summary,
  };
}

function findField(value: unknown, name: string): unknown {
  const queue: unknown[] = [value];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (Array.isArray(next)) queue.push(...next);
    if (!isPlainObject(next)) continue;
    if (name in next) return next[name];
    queue.push(...Object.values(next));
  }
  return undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
