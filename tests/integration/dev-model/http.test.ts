/** The dev model's HTTP surface with raw fetch: error shapes, headers, dev routes. */
import { describe, expect, it } from "vitest";
import { DEV_MODEL_ID } from "@/dev/model/server";
import { startFixture } from "./dev-model-fixture";

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary fields of OpenAI-shaped JSON
    body: (await response.json()) as Record<string, any>,
  };
}

const weatherTool = {
  type: "function",
  name: "getWeather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("dev model HTTP surface", () => {
  it.each([
    ["/responses", "{not json", null, /could not parse the JSON body/],
    ["/responses", { input: "hi" }, "model", /Missing required parameter: 'model'/],
    ["/responses", { model: "m" }, "input", /Missing required parameter: 'input'/],
    ["/responses", { model: "m", input: 42 }, "input", /Invalid value for 'input'/],
    [
      "/responses",
      { model: "m", input: [{ role: "robot", content: "x" }] },
      "input[0].role",
      /Invalid value/,
    ],
    [
      "/responses",
      { model: "m", input: [{ type: "function_call_output", output: "x" }] },
      "input[0].call_id",
      /Missing/,
    ],
    [
      "/responses",
      { model: "m", input: "hi", tools: [{ ...weatherTool, name: "bad name!" }] },
      "tools[0].name",
      /must match/,
    ],
    [
      "/responses",
      {
        model: "m",
        input: "hi",
        tools: [{ ...weatherTool, parameters: { type: "object", properties: { city: { type: "text" } } } }],
      },
      "tools[0].parameters.properties.city.type",
      /"text" is not a JSON Schema type/,
    ],
    [
      "/responses",
      { model: "m", input: "hi", tools: [{ type: "web_search" }] },
      "tools[0].type",
      /only "function" tools/,
    ],
    [
      "/responses",
      {
        model: "m",
        input: "hi",
        text: { format: { type: "json_schema", name: "x", schema: { type: "object", required: "a" } } },
      },
      "text.format.schema.required",
      /array of property names/,
    ],
    [
      "/responses",
      { model: "m", input: "hi", tool_choice: { type: "function", name: "nope" } },
      "tool_choice.name",
      /no function/,
    ],
    ["/chat/completions", { model: "m" }, "messages", /Missing required parameter: 'messages'/],
    ["/chat/completions", { model: "m", messages: [] }, "messages", /Invalid value/],
    [
      "/chat/completions",
      { model: "m", messages: [{ role: "tool", content: "x" }] },
      "messages[0].tool_call_id",
      /Missing/,
    ],
    [
      "/chat/completions",
      {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "f", parameters: [] } }],
      },
      "tools[0].function.parameters",
      /Invalid value/,
    ],
    [
      "/chat/completions",
      {
        model: "m",
        messages: [{ role: "user", content: "dev-model: call ghost" }],
        tools: [{ type: "function", function: weatherTool }],
      },
      null,
      /no tool named "ghost"/,
    ],
  ])("POST %s with a bad body → 400 naming %s", async (path, body, param, message) => {
    const { model } = await startFixture();
    const response = await post(`${model.url}${path}`, body);

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: "invalid_request_error", param });
    expect(response.body.error.message).toMatch(message);
    expect(Object.keys(response.body.error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("sends OpenAI's rate-limit headers on every completion", async () => {
    const { model } = await startFixture({ requestsPerMinute: 5, tokensPerMinute: 1000, now: () => 0 });
    const response = await post(`${model.url}/responses`, { model: "m", input: "hi" });

    expect(response.status).toBe(200);
    expect(
      Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("x-ratelimit"))),
    ).toEqual({
      "x-ratelimit-limit-requests": "5",
      "x-ratelimit-remaining-requests": "4",
      "x-ratelimit-reset-requests": "1m0s",
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": String(1000 - response.body.usage.total_tokens),
      "x-ratelimit-reset-tokens": "1m0s",
    });
  });

  it("returns the same body for the same request, apart from created_at", async () => {
    let now = 1_000_000;
    const { model } = await startFixture({ now: () => now });
    const request = { model: "m", input: "Use getWeather city: Oslo", tools: [weatherTool] };
    const first = await post(`${model.url}/responses`, request);
    now += 5_000;
    const second = await post(`${model.url}/responses`, request);

    expect({ ...second.body, created_at: 0 }).toEqual({ ...first.body, created_at: 0 });
    expect(first.body.output[0]).toMatchObject({
      type: "function_call",
      name: "getWeather",
      arguments: '{"city":"Oslo"}',
    });
  });

  it("requires the API key when started with one", async () => {
    const { model } = await startFixture({ apiKey: "secret" });
    const body = { model: "m", input: "hi" };

    const missing = await post(`${model.url}/responses`, body);
    const wrong = await post(`${model.url}/responses`, body, { authorization: "Bearer nope" });
    const right = await post(`${model.url}/responses`, body, { authorization: "Bearer secret" });

    expect([missing.status, wrong.status, right.status]).toEqual([401, 401, 200]);
    expect(wrong.body.error).toMatchObject({ code: "invalid_api_key", type: "invalid_request_error" });
  });

  it("rejects a malformed fault header with a 400 naming it", async () => {
    const { model } = await startFixture();
    const response = await post(
      `${model.url}/responses`,
      { model: "m", input: "hi" },
      { "x-dev-model-fault": "explode=1" },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ param: "x-dev-model-fault" });
    expect(response.body.error.message).toContain('unknown key "explode"');
  });

  it("cuts a non-streaming request without an answer on truncate", async () => {
    const { model } = await startFixture();
    await expect(
      post(`${model.url}/responses`, { model: "m", input: "hi" }, { "x-dev-model-fault": "truncate=0" }),
    ).rejects.toThrow("fetch failed");
  });

  it("answers 404 in OpenAI's shape for unknown routes", async () => {
    const { model } = await startFixture();
    const response = await post(`${model.url}/embeddings`, { model: "m", input: "hi" });
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe("Invalid URL (POST /v1/embeddings)");
  });

  it("lists models, reports health and stats", async () => {
    const { model } = await startFixture();
    const base = model.url.replace(/\/v1$/, "");
    await post(`${model.url}/chat/completions`, { model: "m", messages: [{ role: "user", content: "hi" }] });
    await post(`${model.url}/responses`, { model: "m", input: "hi" }, { "x-dev-model-fault": "status=429" });

    const models = await (await fetch(`${model.url}/models`)).json();
    const health = await (await fetch(`${base}/__dev/health`)).json();
    const stats = await (await fetch(`${base}/__dev/stats`)).json();

    expect(models).toEqual({
      object: "list",
      data: [expect.objectContaining({ id: DEV_MODEL_ID, object: "model" })],
    });
    expect(health).toEqual({ ok: true, service: DEV_MODEL_ID, llm: false });
    expect(stats).toEqual(model.stats());
    expect(stats).toMatchObject({
      requests: 3,
      rateLimited: 1,
      byEndpoint: {
        "POST /v1/chat/completions": { requests: 1, errors: 0 },
        "POST /v1/responses": { requests: 1, rateLimited: 1, errors: 1, inputTokens: 0 },
        "GET /v1/models": { requests: 1 },
      },
    });
  });

  it("streams Responses API events in OpenAI's order with sequence numbers", async () => {
    const { model } = await startFixture();
    const response = await fetch(`${model.url}/responses`, {
      method: "POST",
      body: JSON.stringify({ model: "m", input: "Hi there", stream: true }),
    });
    const events = (await response.text())
      .trim()
      .split("\n\n")
      .map((block) => JSON.parse(block.split("\n")[1]?.slice("data: ".length) ?? "{}"));

    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(
      events.map((event) => event.type).filter((type, index, all) => all.indexOf(type) === index),
    ).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.at(-1).response.usage.output_tokens).toBeGreaterThan(0);
  });

  it("ends chat streams with a usage chunk and [DONE]", async () => {
    const { model } = await startFixture();
    const response = await fetch(`${model.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "Hi" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const data = (await response.text())
      .trim()
      .split("\n\n")
      .map((block) => block.slice("data: ".length));

    expect(data.at(-1)).toBe("[DONE]");
    const usageChunk = JSON.parse(data.at(-2) ?? "{}");
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.total_tokens).toBe(
      usageChunk.usage.prompt_tokens + usageChunk.usage.completion_tokens,
    );
    expect(JSON.parse(data.at(-3) ?? "{}").choices[0].finish_reason).toBe("stop");
  });

  it("marks answers cut at max_output_tokens as incomplete / length", async () => {
    const { model } = await startFixture();
    const responses = await post(`${model.url}/responses`, {
      model: "m",
      input: "a long prompt to echo",
      max_output_tokens: 3,
    });
    const chat = await post(`${model.url}/chat/completions`, {
      model: "m",
      messages: [{ role: "user", content: "a long prompt to echo" }],
      max_tokens: 3,
    });

    expect(responses.body).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
    });
    expect(responses.body.output[0].content[0].text).toBe("Dev model reply"); // "Dev" " model" " reply";
    expect(chat.body.choices[0]).toMatchObject({
      finish_reason: "length",
      message: { content: "Dev model reply" },
    });
  });
});
