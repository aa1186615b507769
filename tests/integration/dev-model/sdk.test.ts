/** The real `ai` + `@ai-sdk/openai` against the dev model, through both OpenAI APIs. */
import { generateText, Output, stepCountIs, streamText, tool } from "ai";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NOT_AN_LLM_SUFFIX } from "@/dev/model/server";
import { API_NAMES, endpointOf, startFixture } from "./dev-model-fixture";

const weatherTool = (log: string[] = []) =>
  tool({
    description: "Current weather for a city",
    inputSchema: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
    execute: async ({ city, unit }) => {
      log.push(`weather:${city}`);
      return { city, unit, temperature: 21, sky: "sunny" };
    },
  });

const searchTool = (log: string[] = []) =>
  tool({
    description: "Search the knowledge base",
    inputSchema: z.object({ query: z.string().min(1), limit: z.number().int().min(1).max(5) }),
    execute: async ({ query, limit }) => {
      log.push(`search:${query}`);
      return { hits: [`first hit for ${query}`].slice(0, limit) };
    },
  });

describe.each(API_NAMES)("dev model through the AI SDK (%s API)", (api) => {
  it("answers a plain prompt deterministically and says it is not an LLM", async () => {
    const { model, languageModel } = await startFixture();
    const first = await generateText({ model: languageModel(api), prompt: "Hello there" });
    const second = await generateText({ model: languageModel(api), prompt: "Hello there" });

    expect(first.text).toBe('Dev model reply (not an LLM). You said: "Hello there"');
    expect(second.text).toBe(first.text);
    expect(first.finishReason).toBe("stop");
    expect(first.response.modelId).toBe(`gpt-4o-mini${NOT_AN_LLM_SUFFIX}`);
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBe(countTokens(first.text));
    expect(first.usage.totalTokens).toBe((first.usage.inputTokens ?? 0) + (first.usage.outputTokens ?? 0));
    expect(model.stats().byEndpoint[endpointOf(api)]).toMatchObject({
      requests: 2,
      inputTokens: 2 * (first.usage.inputTokens ?? 0),
      outputTokens: 2 * (first.usage.outputTokens ?? 0),
    });
  });

  it("streams text in several deltas with usage at the end", async () => {
    const { languageModel } = await startFixture();
    const result = streamText({ model: languageModel(api), prompt: "Stream a few words back to me" });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe('Dev model reply (not an LLM). You said: "Stream a few words back to me"');
    expect(await result.finishReason).toBe("stop");
    expect((await result.usage).outputTokens).toBe(countTokens(deltas.join("")));
  });

  it("returns structured output valid for the schema, strings taken from the prompt", async () => {
    const { languageModel } = await startFixture();
    const schema = z.object({
      name: z.string(),
      age: z.number().int().min(18).max(99),
      role: z.enum(["admin", "member"]),
      tags: z.array(z.string()).min(2),
      address: z.object({ city: z.string(), zip: z.string().regex(/^\d{5}$/) }),
      nickname: z.string().nullable(),
    });
    const { output } = await generateText({
      model: languageModel(api),
      prompt: 'Create a user named "Ada Lovelace" living in city: London',
      output: Output.object({ schema }),
    });

    expect(schema.parse(output)).toEqual(output);
    expect(output.name).toBe("Ada Lovelace");
    expect(output.address.city).toBe("London");
    expect(output.tags).toHaveLength(2);
  });

  it("streams structured output", async () => {
    const { languageModel } = await startFixture();
    const schema = z.object({ title: z.string().max(12), score: z.number().min(0).max(1) });
    const result = streamText({
      model: languageModel(api),
      prompt: "Rate it",
      output: Output.object({ schema }),
    });
    const output = await result.output;
    expect(schema.parse(output)).toEqual(output);
  });

  it("calls the tool the prompt names, then answers from its result", async () => {
    const { languageModel } = await startFixture();
    const calls: string[] = [];
    const result = await generateText({
      model: languageModel(api),
      prompt: "Use getWeather for city: Paris",
      tools: { getWeather: weatherTool(calls), search: searchTool(calls) },
      stopWhen: stepCountIs(5),
    });

    expect(calls).toEqual(["weather:Paris"]);
    expect(result.steps).toHaveLength(2);
    const [call] = result.steps[0]?.toolCalls ?? [];
    expect(call?.toolName).toBe("getWeather");
    expect(call?.input).toEqual({ city: "Paris", unit: "celsius" });
    expect(result.steps[0]?.finishReason).toBe("tool-calls");
    expect(result.steps[0]?.toolResults[0]?.output).toEqual({
      city: "Paris",
      unit: "celsius",
      temperature: 21,
      sky: "sunny",
    });
    expect(result.text).toBe(
      'Based on 1 tool result: getWeather returned {"city":"Paris","unit":"celsius","temperature":21,"sky":"sunny"}.',
    );
    expect(result.finishReason).toBe("stop");
    expect(result.totalUsage.inputTokens).toBe(
      (result.steps[0]?.usage.inputTokens ?? 0) + (result.steps[1]?.usage.inputTokens ?? 0),
    );
  });

  it("calls several named tools in one step", async () => {
    const { languageModel } = await startFixture();
    const calls: string[] = [];
    const result = await generateText({
      model: languageModel(api),
      prompt: 'Run search for "solar panels" and then getWeather in city=Berlin',
      tools: { getWeather: weatherTool(calls), search: searchTool(calls) },
      stopWhen: stepCountIs(5),
    });

    expect(result.steps[0]?.toolCalls.map((call) => call.toolName)).toEqual(["search", "getWeather"]);
    expect(result.steps[0]?.toolCalls.map((call) => call.input)).toEqual([
      { query: "solar panels", limit: 1 },
      { city: "Berlin", unit: "celsius" },
    ]);
    expect(calls.sort()).toEqual(["search:solar panels", "weather:Berlin"]);
    expect(result.text).toContain("search returned");
    expect(result.text).toContain("getWeather returned");
  });

  it("follows dev-model directives through a multi-step tool loop", async () => {
    const { languageModel } = await startFixture();
    const calls: string[] = [];
    const result = await generateText({
      model: languageModel(api),
      prompt: [
        "Plan a trip.",
        'dev-model: call search {"query": "museums", "limit": 3}',
        'dev-model: call getWeather {"city": "Oslo", "unit": "fahrenheit"}',
        'dev-model: reply "Trip planned."',
      ].join("\n"),
      tools: { getWeather: weatherTool(calls), search: searchTool(calls) },
      stopWhen: stepCountIs(10),
    });

    expect(calls).toEqual(["search:museums", "weather:Oslo"]);
    expect(result.steps.map((step) => step.toolCalls.map((call) => call.toolName))).toEqual([
      ["search"],
      ["getWeather"],
      [],
    ]);
    expect(result.steps[1]?.toolCalls[0]?.input).toEqual({ city: "Oslo", unit: "fahrenheit" });
    expect(result.text).toBe("Trip planned.");
  });

  it("runs a streamed tool loop", async () => {
    const { languageModel } = await startFixture();
    const calls: string[] = [];
    const result = streamText({
      model: languageModel(api),
      prompt: "Please search for query: durable workflows",
      tools: { search: searchTool(calls) },
      stopWhen: stepCountIs(5),
    });

    expect(await result.text).toBe(
      'Based on 1 tool result: search returned {"hits":["first hit for durable workflows"]}.',
    );
    expect(calls).toEqual(["search:durable workflows"]);
    const steps = await result.steps;
    expect(steps[0]?.toolCalls[0]?.input).toEqual({ query: "durable workflows", limit: 1 });
  });

  it("answers a tool loop with structured output built from the tool results", async () => {
    const { languageModel } = await startFixture();
    const schema = z.object({ city: z.string(), temperature: z.number(), summary: z.string() });
    const result = await generateText({
      model: languageModel(api),
      prompt: "Use getWeather for city: Rome, then report",
      tools: { getWeather: weatherTool() },
      output: Output.object({ schema }),
      stopWhen: stepCountIs(5),
    });

    expect(result.output).toMatchObject({ city: "Rome", temperature: 21 });
    expect(result.output.summary).toContain("getWeather returned");
  });

  it("continues a conversation across user turns", async () => {
    const { languageModel } = await startFixture();
    const tools = { getWeather: weatherTool() };
    const first = await generateText({
      model: languageModel(api),
      prompt: "getWeather city: Lima",
      tools,
      stopWhen: stepCountIs(5),
    });
    const second = await generateText({
      model: languageModel(api),
      messages: [
        { role: "user", content: "getWeather city: Lima" },
        ...first.response.messages,
        { role: "user", content: "And now search nothing, just say hi" },
      ],
      tools,
      stopWhen: stepCountIs(5),
    });

    expect(second.steps).toHaveLength(1);
    expect(second.text).toBe('Dev model reply (not an LLM). You said: "And now search nothing, just say hi"');
  });
});
