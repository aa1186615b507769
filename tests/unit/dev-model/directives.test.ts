import { describe, expect, it } from "vitest";
import { DirectiveError, parseDirectives, stripDirectives } from "@/dev/model/directives";

describe("parseDirectives", () => {
  it("reads call and reply lines in order, ignoring other text", () => {
    const prompt = [
      "Please help.",
      "dev-model: call search, fetch_page",
      '  DEV-MODEL: call lookup {"id": "a,b}", "n": {"x": 1}} , other',
      'dev-model: reply "two\\nlines"',
      "dev-model: reply plain text, unquoted",
      "dev-model: reply",
    ].join("\n");

    expect(parseDirectives(prompt)).toEqual([
      {
        kind: "call",
        calls: [
          { name: "search", argumentsJson: undefined },
          { name: "fetch_page", argumentsJson: undefined },
        ],
      },
      {
        kind: "call",
        calls: [
          { name: "lookup", argumentsJson: '{"id":"a,b}","n":{"x":1}}' },
          { name: "other", argumentsJson: undefined },
        ],
      },
      { kind: "reply", text: "two\nlines" },
      { kind: "reply", text: "plain text, unquoted" },
      { kind: "reply", text: undefined },
    ]);
  });

  it.each([
    ["dev-model: dance", /unknown verb "dance"/],
    ["dev-model: call", /name at least one tool/],
    ["dev-model: call a {", /unbalanced arguments/],
    ["dev-model: call a {nope}", /not valid JSON/],
    ['dev-model: reply "unterminated', /one JSON string literal/],
    ["dev-model: call a !", /expected a tool name/],
  ])("rejects %j", (line, message) => {
    expect(() => parseDirectives(line)).toThrow(DirectiveError);
    expect(() => parseDirectives(line)).toThrow(message);
  });

  it("strips directive lines from the prompt", () => {
    expect(stripDirectives("Hello\ndev-model: call a\nworld")).toBe("Hello\nworld");
  });
});
