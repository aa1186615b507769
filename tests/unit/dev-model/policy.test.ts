import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Conversation, Decision, ToolSpec, Turn } from "@/dev/model/conversation";
import { DirectiveError } from "@/dev/model/directives";
import { decide } from "@/dev/model/policy";

const weather: ToolSpec = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
    required: ["city", "days"],
    additionalProperties: false,
  },
};
const search: ToolSpec = {
  name: "searchDocs",
  description: "Full-text search over the documentation",
  parameters: {
    type: "object",
    properties: { query: { type: "string", minLength: 3 } },
    required: ["query"],
  },
};

function conversation(turns: Turn[], overrides: Partial<Conversation> = {}): Conversation {
  return {
    turns,
    tools: [weather, search],
    toolChoice: { mode: "auto" },
    format: { kind: "text" },
    parallelToolCalls: true,
    maxOutputTokens: undefined,
    mediaParts: 0,
    ...overrides,
  };
}

const user = (text: string): Turn => ({ kind: "user", text });

function calls(decision: Decision) {
  if (decision.kind !== "tool-calls") throw new Error(`expected tool calls, got ${JSON.stringify(decision)}`);
  return decision.calls.map((call) => ({ name: call.name, args: JSON.parse(call.argumentsJson) }));
}

function replyText(decision: Decision): string {
  if (decision.kind !== "reply") throw new Error(`expected a reply, got ${JSON.stringify(decision)}`);
  return decision.text;
}

describe("decide", () => {
  it("is deterministic: the same conversation gives the same decision, call ids included", () => {
    const input = conversation([user('get_weather for city: Paris and searchDocs for "retry policy"')]);
    const first = decide(input);
    expect(decide(structuredClone(input))).toEqual(first);
    expect(first.kind === "tool-calls" && first.calls.map((call) => call.callId)).toEqual([
      expect.stringMatching(/^call_[0-9a-f]{24}$/),
      expect.stringMatching(/^call_[0-9a-f]{24}$/),
    ]);
  });

  it("calls every tool the prompt names, in the order it names them", () => {
    const decision = decide(
      conversation([user('Look up "retry policy" with searchDocs, then get weather city=Oslo')]),
    );
    expect(calls(decision)).toEqual([
      { name: "searchDocs", args: { query: "retry policy" } },
      { name: "get_weather", args: { city: "Oslo", days: 1 } },
    ]);
  });

  it("calls only the first named tool when parallel tool calls are off", () => {
    const decision = decide(
      conversation([user("searchDocs and get_weather please")], { parallelToolCalls: false }),
    );
    expect(calls(decision).map((call) => call.name)).toEqual(["searchDocs"]);
  });

  it("falls back to the most relevant tool when none is named", () => {
    const decision = decide(conversation([user("What is the weather like in Rome today?")]));
    expect(calls(decision)).toEqual([
      { name: "get_weather", args: { city: "What is the weather like in Rome today?", days: 1 } },
    ]);
  });

  it("answers with text when no tool is relevant", () => {
    expect(replyText(decide(conversation([user("Tell me a joke")])))).toBe(
      'Dev model reply (not an LLM). You said: "Tell me a joke"',
    );
  });

  it("answers from the tool results once they are in", () => {
    const decision = decide(
      conversation([
        user("get_weather city: Oslo"),
        { kind: "tool-call", callId: "c1", name: "get_weather", argumentsJson: '{"city":"Oslo","days":1}' },
        { kind: "tool-result", callId: "c1", output: '{"temp":-3}' },
      ]),
    );
    expect(replyText(decision)).toBe('Based on 1 tool result: get_weather returned {"temp":-3}.');
  });

  it("calls tools again for a new user message after earlier results", () => {
    const decision = decide(
      conversation([
        user("get_weather city: Oslo"),
        { kind: "tool-call", callId: "c1", name: "get_weather", argumentsJson: "{}" },
        { kind: "tool-result", callId: "c1", output: "cold" },
        { kind: "assistant", text: "It is cold." },
        user("now searchDocs for query: snow"),
      ]),
    );
    expect(calls(decision)).toEqual([{ name: "searchDocs", args: { query: "snow" } }]);
  });

  it("honours tool_choice none, required and a named tool", () => {
    const prompt = [user("Tell me a joke")];
    expect(decide(conversation([user("get_weather")], { toolChoice: { mode: "none" } })).kind).toBe("reply");
    expect(calls(decide(conversation(prompt, { toolChoice: { mode: "required" } })))[0]?.name).toBe(
      "get_weather",
    );
    expect(
      calls(decide(conversation(prompt, { toolChoice: { mode: "tool", name: "searchDocs" } })))[0]?.name,
    ).toBe("searchDocs");
  });

  it("steps through dev-model directives, one per round of tool results", () => {
    const prompt = user(
      [
        'dev-model: call searchDocs {"query": 42}',
        "dev-model: call get_weather, searchDocs",
        'dev-model: reply "done"',
      ].join("\n"),
    );
    const round = (callId: string, name: string): Turn[] => [
      { kind: "tool-call", callId, name, argumentsJson: "{}" },
      { kind: "tool-result", callId, output: "ok" },
    ];

    expect(calls(decide(conversation([prompt])))).toEqual([{ name: "searchDocs", args: { query: 42 } }]);
    expect(
      calls(decide(conversation([prompt, ...round("a", "searchDocs")]))).map((call) => call.name),
    ).toEqual(["get_weather", "searchDocs"]);
    const parallelRound: Turn[] = [
      { kind: "tool-call", callId: "b", name: "get_weather", argumentsJson: "{}" },
      { kind: "tool-call", callId: "c", name: "searchDocs", argumentsJson: "{}" },
      { kind: "tool-result", callId: "b", output: "x" },
      { kind: "tool-result", callId: "c", output: "y" },
    ];
    expect(replyText(decide(conversation([prompt, ...round("a", "searchDocs"), ...parallelRound])))).toBe(
      "done",
    );
    const beyondTheDirectives = [
      prompt,
      ...round("a", "searchDocs"),
      ...parallelRound,
      ...round("d", "searchDocs"),
    ];
    expect(replyText(decide(conversation(beyondTheDirectives)))).toMatch(
      /^Based on 4 tool results: searchDocs returned "ok"/,
    );
  });

  it("reads directives from the instructions when the user message has none", () => {
    const decision = decide(
      conversation([{ kind: "instruction", text: "dev-model: reply fixed" }, user("anything")]),
    );
    expect(replyText(decision)).toBe("fixed");
  });

  it("rejects a directive naming a tool the request does not offer", () => {
    expect(() => decide(conversation([user("dev-model: call ghost")]))).toThrow(DirectiveError);
  });

  it("builds schema-valid JSON from tool results for a JSON schema format", () => {
    const schema = z.object({ temp: z.number(), city: z.string(), note: z.string() });
    const decision = decide(
      conversation(
        [
          user("get_weather city: Oslo"),
          { kind: "tool-call", callId: "c1", name: "get_weather", argumentsJson: "{}" },
          { kind: "tool-result", callId: "c1", output: '{"reading":{"temp":-3}}' },
        ],
        { format: { kind: "json-schema", name: "report", schema: z.toJSONSchema(schema) } },
      ),
    );
    const value = schema.parse(JSON.parse(replyText(decision)));
    expect(value).toEqual({
      temp: -3,
      city: "Oslo",
      note: 'Based on 1 tool result: get_weather returned {"reading":{"temp":-3}}.',
    });
  });

  it("wraps the answer in an object for the json_object format", () => {
    const decision = decide(conversation([user("hi")], { tools: [], format: { kind: "json-object" } }));
    expect(JSON.parse(replyText(decision))).toEqual({
      answer: 'Dev model reply (not an LLM). You said: "hi"',
    });
  });

  it("cuts the reply at max output tokens and says so", () => {
    const decision = decide(conversation([user("Tell me a joke")], { maxOutputTokens: 2 }));
    expect(decision).toEqual({ kind: "reply", text: "Dev model", truncated: true }); // "Dev" + " model"
  });
});
