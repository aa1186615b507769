import { describe, expect, it } from "vitest";
import type { Conversation } from "@/dev/model/conversation";
import { countInputTokens, countOutputTokens, countTextTokens, truncateToTokens } from "@/dev/model/tokens";

const base: Conversation = {
  turns: [{ kind: "user", text: "12345678" }],
  tools: [],
  toolChoice: { mode: "auto" },
  format: { kind: "text" },
  parallelToolCalls: true,
  maxOutputTokens: undefined,
  mediaParts: 0,
};

describe("token counts", () => {
  it("counts text with the o200k_base encoding", () => {
    // "Hello" + " world"; digits split in threes: "123" "456" "78".
    expect([countTextTokens(""), countTextTokens("Hello world"), countTextTokens("12345678")]).toEqual([
      0, 2, 3,
    ]);
  });

  it("adds per-message and priming overheads to the input", () => {
    expect(countInputTokens(base)).toBe(3 + 4 + 3);
  });

  it("charges tools, schemas and media parts", () => {
    const tool = { name: "t", description: "", parameters: { type: "object" } };
    const withTools = countInputTokens({ ...base, tools: [tool] });
    expect(withTools).toBe(countInputTokens(base) + countTextTokens(JSON.stringify([tool])));
    expect(countInputTokens({ ...base, mediaParts: 2 })).toBe(countInputTokens(base) + 170);
    expect(
      countInputTokens({ ...base, format: { kind: "json-schema", name: "x", schema: { type: "string" } } }),
    ).toBeGreaterThan(countInputTokens(base));
  });

  it("counts output text and tool calls", () => {
    expect(countOutputTokens({ kind: "reply", text: "12345678", truncated: false })).toBe(3);
    expect(
      countOutputTokens({
        kind: "tool-calls",
        calls: [{ callId: "c", name: "abcd", argumentsJson: '{"a":1}' }],
      }),
    ).toBe(3 + 1 + 5); // overhead + "abcd" + {" a ": 1 }
  });

  it("truncates to a token budget", () => {
    expect(truncateToTokens("abcdefghij", 1)).toBe("abcdefgh");
    expect(truncateToTokens("Hello world", 5)).toBe("Hello world");
  });
});
