import { badRequest } from "./errors";
import { parseDuration } from "./headers";

const MAX_BACKOFF_MS = 86_400_000;

/** QStash's default backoff before retry number n (1 = first retry): min(1 day, e^(2.5·n)) seconds. */
export function defaultBackoffMs(retryNumber: number): number {
  return Math.min(MAX_BACKOFF_MS, Math.round(Math.exp(2.5 * retryNumber) * 1000));
}

type Token = { kind: "num"; value: number } | { kind: "id"; name: string } | { kind: "op"; op: string };

const FUNCTIONS: Record<string, { arity: number | "variadic"; fn: (...args: number[]) => number }> = {
  pow: { arity: 2, fn: (a, b) => (a ?? 0) ** (b ?? 0) },
  exp: { arity: 1, fn: (a) => Math.exp(a ?? 0) },
  sqrt: { arity: 1, fn: (a) => Math.sqrt(a ?? 0) },
  abs: { arity: 1, fn: (a) => Math.abs(a ?? 0) },
  floor: { arity: 1, fn: (a) => Math.floor(a ?? 0) },
  ceil: { arity: 1, fn: (a) => Math.ceil(a ?? 0) },
  round: { arity: 1, fn: (a) => Math.round(a ?? 0) },
  min: { arity: "variadic", fn: (...args) => Math.min(...args) },
  max: { arity: "variadic", fn: (...args) => Math.max(...args) },
};

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-zA-Z_][a-zA-Z0-9_]*)|(\*\*|[-+*/%^(),]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) throw new Error(`unexpected character at ${index}`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: "num", value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: "id", name: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: "op", op: match[3] });
  }
  return tokens;
}

/** Compiles a retry delay expression (ms, variable `retried`) into a function; throws on syntax errors. */
export function compileRetryDelay(expression: string): (retried: number) => number {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (op: string) => {
    const token = peek();
    return token?.kind === "op" && token.op === op;
  };
  const expect = (op: string) => {
    if (!isOp(op)) throw new Error(`expected '${op}'`);
    position++;
  };

  type Node = (retried: number) => number;
  const parseExpression = (): Node => {
    let left = parseTerm();
    while (isOp("+") || isOp("-")) {
      const op = (tokens[position++] as { op: string }).op;
      const l = left;
      const r = parseTerm();
      left = op === "+" ? (x) => l(x) + r(x) : (x) => l(x) - r(x);
    }
    return left;
  };
  const parseTerm = (): Node => {
    let left = parseUnary();
    while (isOp("*") || isOp("/") || isOp("%")) {
      const op = (tokens[position++] as { op: string }).op;
      const l = left;
      const r = parseUnary();
      left = op === "*" ? (x) => l(x) * r(x) : op === "/" ? (x) => l(x) / r(x) : (x) => l(x) % r(x);
    }
    return left;
  };
  const parseUnary = (): Node => {
    if (isOp("-")) {
      position++;
      const inner = parseUnary();
      return (x) => -inner(x);
    }
    if (isOp("+")) {
      position++;
      return parseUnary();
    }
    return parsePower();
  };
  const parsePower = (): Node => {
    const base = parsePrimary();
    if (isOp("^") || isOp("**")) {
      position++;
      const exponent = parseUnary();
      return (x) => base(x) ** exponent(x);
    }
    return base;
  };
  const parsePrimary = (): Node => {
    const token = tokens[position++];
    if (!token) throw new Error("unexpected end of expression");
    if (token.kind === "num") return () => token.value;
    if (token.kind === "op" && token.op === "(") {
      const inner = parseExpression();
      expect(")");
      return inner;
    }
    if (token.kind === "id") {
      if (token.name === "retried") return (x) => x;
      const fn = FUNCTIONS[token.name];
      if (!fn) throw new Error(`unknown identifier ${token.name}`);
      expect("(");
      const args: Node[] = [];
      if (!isOp(")")) {
        args.push(parseExpression());
        while (isOp(",")) {
          position++;
          args.push(parseExpression());
        }
      }
      expect(")");
      if (fn.arity !== "variadic" && args.length !== fn.arity) {
        throw new Error(`${token.name} expects ${fn.arity} arguments`);
      }
      if (fn.arity === "variadic" && args.length === 0) throw new Error(`${token.name} expects arguments`);
      return (x) => fn.fn(...args.map((a) => a(x)));
    }
    throw new Error(`unexpected token ${token.kind === "op" ? token.op : ""}`);
  };

  const root = parseExpression();
  if (position !== tokens.length) throw new Error("unexpected trailing input");
  return root;
}

export function validateRetryDelay(expression: string): void {
  try {
    const fn = compileRetryDelay(expression);
    fn(0);
  } catch (error) {
    throw badRequest(`invalid Upstash-Retry-Delay expression "${expression}": ${(error as Error).message}`);
  }
}

/** Delay before retry number n (1 = first retry), honouring a custom expression (`retried` = n - 1). */
export function retryDelayMs(retryNumber: number, expression: string | undefined): number {
  if (!expression) return defaultBackoffMs(retryNumber);
  try {
    const value = compileRetryDelay(expression)(retryNumber - 1);
    if (!Number.isFinite(value) || value < 0) return defaultBackoffMs(retryNumber);
    return Math.min(MAX_BACKOFF_MS, Math.round(value));
  } catch {
    return defaultBackoffMs(retryNumber);
  }
}

const RETRY_AFTER_HEADERS = [
  "retry-after",
  "x-ratelimit-reset",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
];

/**
 * Delay requested by a failed response (`Retry-After` and rate-limit reset headers): seconds, an HTTP date or
 * a Go duration. Values above one day are ignored (the default backoff applies). Returns ms or undefined.
 */
export function retryAfterMs(headers: Headers, realNowMs: number): number | undefined {
  for (const name of RETRY_AFTER_HEADERS) {
    const raw = headers.get(name)?.trim();
    if (!raw) continue;
    let ms: number | undefined;
    if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
    else {
      const date = Date.parse(raw);
      if (!Number.isNaN(date) && /[a-zA-Z]{3}/.test(raw) && /\d{4}/.test(raw))
        ms = Math.max(0, date - realNowMs);
      else {
        try {
          ms = parseDuration(raw, name);
        } catch {
          ms = undefined;
        }
      }
    }
    if (ms !== undefined && ms <= MAX_BACKOFF_MS) return Math.round(ms);
  }
  return undefined;
}
