/**
 * Builds one short string that matches a simple regex (the kind found in JSON Schema `pattern`s):
 * literals, escapes, character classes, groups, alternation (first branch taken) and quantifiers
 * (their minimum, at least one for `+`). Lookarounds and back-references are not supported.
 * The result is checked against the real regex; `undefined` means no sample could be made.
 */
import { compilePattern } from "./schema-check";

const MAX_SAMPLE_LENGTH = 10_000;

class UnsupportedPatternError extends Error {}

export function sampleMatching(pattern: string): string | undefined {
  const regex = compilePattern(pattern);
  if (!regex) return undefined;
  try {
    const parser = new PatternSampler(pattern);
    const sample = parser.sampleAll();
    return sample.length <= MAX_SAMPLE_LENGTH && regex.test(sample) ? sample : undefined;
  } catch (error) {
    if (error instanceof UnsupportedPatternError) return undefined;
    throw error;
  }
}

class PatternSampler {
  private position = 0;

  constructor(private readonly pattern: string) {}

  sampleAll(): string {
    const sample = this.alternation();
    if (this.position < this.pattern.length) throw new UnsupportedPatternError("unbalanced ')'");
    return sample;
  }

  private peek(offset = 0): string | undefined {
    return this.pattern[this.position + offset];
  }

  private next(): string {
    const char = this.pattern[this.position];
    if (char === undefined) throw new UnsupportedPatternError("unexpected end of pattern");
    this.position += 1;
    return char;
  }

  /** The first branch's sample; later branches are parsed only to move past them. */
  private alternation(): string {
    const first = this.sequence();
    while (this.peek() === "|") {
      this.next();
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let out = "";
    while (this.position < this.pattern.length && this.peek() !== "|" && this.peek() !== ")") {
      const atom = this.atom();
      out += atom.repeat(this.quantifier());
      if (out.length > MAX_SAMPLE_LENGTH) throw new UnsupportedPatternError("sample too long");
    }
    return out;
  }

  private atom(): string {
    const char = this.next();
    switch (char) {
      case "^":
      case "$":
        return "";
      case "(":
        return this.group();
      case "[":
        return this.characterClass();
      case "\\":
        return this.escape();
      case ".":
        return "a";
      default:
        return char;
    }
  }

  private group(): string {
    if (this.peek() === "?") {
      this.next();
      const kind = this.next();
      if (kind === "<" && this.peek() !== "=" && this.peek() !== "!") {
        while (this.next() !== ">") {
          // skip the group name
        }
      } else if (kind !== ":") {
        throw new UnsupportedPatternError("lookaround");
      }
    }
    const sample = this.alternation();
    if (this.next() !== ")") throw new UnsupportedPatternError("unclosed group");
    return sample;
  }

  /** Minimum repetitions of the preceding atom (one for `+`). */
  private quantifier(): number {
    const char = this.peek();
    let count = 1;
    if (char === "?" || char === "*") {
      this.next();
      count = 0;
    } else if (char === "+") {
      this.next();
    } else if (char === "{" && /^\{\d+(,\d*)?\}/.test(this.pattern.slice(this.position))) {
      const match = /^\{(\d+)/.exec(this.pattern.slice(this.position));
      count = Number(match?.[1] ?? 1);
      while (this.next() !== "}") {
        // consume the bounds
      }
    }
    if (char !== undefined && "?*+{".includes(char) && this.peek() === "?") this.next();
    return count;
  }

  private escape(): string {
    const char = this.next();
    const classSample = ESCAPE_CLASS_SAMPLES[char];
    if (classSample !== undefined) return classSample;
    if (/[1-9]/.test(char)) throw new UnsupportedPatternError("back-reference");
    if (char === "b" || char === "B") return "";
    return this.escapedLiteral(char);
  }

  private escapedLiteral(char: string): string {
    const controls: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", "0": "\0" };
    if (controls[char] !== undefined) return controls[char];
    if (char === "x") return String.fromCharCode(Number.parseInt(this.take(2), 16));
    if (char === "u") {
      if (this.peek() === "{") {
        this.next();
        let hex = "";
        while (this.peek() !== "}") hex += this.next();
        this.next();
        return String.fromCodePoint(Number.parseInt(hex, 16));
      }
      return String.fromCharCode(Number.parseInt(this.take(4), 16));
    }
    return char;
  }

  private take(count: number): string {
    let out = "";
    for (let i = 0; i < count; i++) out += this.next();
    return out;
  }

  private characterClass(): string {
    const negated = this.peek() === "^";
    if (negated) this.next();
    const members: Array<[string, string]> = [];
    let first = true;
    while (this.peek() !== "]" || first) {
      first = false;
      const low = this.classMember();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.next();
        const high = this.classMember();
        members.push([low[0], high[1]]);
      } else {
        members.push(low);
      }
    }
    this.next();
    return negated ? pickOutside(members) : (members[0]?.[0] ?? "a");
  }

  /** One class member as an inclusive [low, high] range. */
  private classMember(): [string, string] {
    const char = this.next();
    if (char !== "\\") return [char, char];
    const escaped = this.next();
    const range = ESCAPE_CLASS_RANGES[escaped];
    if (range) return range;
    const literal = this.escapedLiteral(escaped);
    return [literal, literal];
  }
}

const ESCAPE_CLASS_SAMPLES: Record<string, string> = { d: "0", D: "a", w: "a", W: "-", s: " ", S: "a" };
const ESCAPE_CLASS_RANGES: Record<string, [string, string]> = {
  d: ["0", "9"],
  w: ["a", "z"],
  s: [" ", " "],
  D: ["a", "a"],
  W: ["-", "-"],
  S: ["a", "a"],
};

function pickOutside(members: Array<[string, string]>): string {
  const candidates = ["a", "x", "A", "0", "-", "_", " ", "~"];
  const inside = (char: string) => members.some(([low, high]) => char >= low && char <= high);
  return candidates.find((char) => !inside(char)) ?? "\u00e9";
}
