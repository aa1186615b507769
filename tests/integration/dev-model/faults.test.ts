/** Faults and rate limits as the AI SDK experiences them: errors, retries, cut streams. */
import { APICallError, generateText, RetryError, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { API_NAMES, endpointOf, startFixture } from "./dev-model-fixture";

const FAULT = "x-dev-model-fault";

describe.each(API_NAMES)("dev model faults (%s API)", (api) => {
  it("surfaces an injected 429 as an APICallError with retry-after when retries are off", async () => {
    const { model, languageModel } = await startFixture();
    const error = await generateText({
      model: languageModel(api),
      prompt: "hi",
      maxRetries: 0,
      headers: { [FAULT]: "status=429;retry-after=2" },
    }).catch((caught: unknown) => caught);

    expect(APICallError.isInstance(error)).toBe(true);
    const apiError = error as APICallError;
    expect(apiError.statusCode).toBe(429);
    expect(apiError.isRetryable).toBe(true);
    expect(apiError.responseHeaders?.["retry-after"]).toBe("2");
    expect(apiError.responseHeaders?.["retry-after-ms"]).toBe("2000");
    expect(JSON.parse(apiError.responseBody ?? "{}")).toMatchObject({
      error: { type: "requests", code: "rate_limit_exceeded", param: null },
    });
    expect(model.stats().rateLimited).toBe(1);
  });

  it("retries a one-shot 429 after retry-after-ms and succeeds", async () => {
    const { model, languageModel } = await startFixture({
      faults: { status: 429, retryAfterMs: 20, times: 1 },
    });
    const result = await generateText({ model: languageModel(api), prompt: "hi", maxRetries: 2 });

    expect(result.text).toContain("You said");
    expect(model.stats().byEndpoint[endpointOf(api)]).toMatchObject({
      requests: 2,
      rateLimited: 1,
      errors: 1,
    });
  });

  it("gives up with a RetryError when every attempt fails with a 500", async () => {
    const { model, languageModel } = await startFixture();
    model.setFaults({ status: 500, retryAfterMs: 0 });
    const error = await generateText({ model: languageModel(api), prompt: "hi", maxRetries: 1 }).catch(
      (caught: unknown) => caught,
    );

    expect(RetryError.isInstance(error)).toBe(true);
    const lastError = (error as RetryError).lastError;
    expect(APICallError.isInstance(lastError) && lastError.statusCode).toBe(500);
    expect(model.stats().requests).toBe(2);
  });

  it("delays answers by the injected latency", async () => {
    const { languageModel } = await startFixture();
    const started = performance.now();
    await generateText({ model: languageModel(api), prompt: "hi", headers: { [FAULT]: "latency=150" } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("cuts a stream mid-way: partial text, then the stream throws", async () => {
    const { model, languageModel } = await startFixture();
    const result = streamText({
      model: languageModel(api),
      prompt: "Stream me please and more words here",
      maxRetries: 0,
      headers: { [FAULT]: api === "chat" ? "truncate=3" : "truncate=6" },
    });
    let received = "";
    const error = await (async () => {
      for await (const delta of result.textStream) received += delta;
    })().catch((caught: unknown) => caught);

    expect(received).toBe("Dev model ");
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).message).toBe("Failed to process successful response");
    await expect(result.text).rejects.toThrow();
    expect(model.stats()).toMatchObject({ requests: 1, errors: 1 });
  });

  it("enforces its tokens-per-minute limit on an injectable clock", async () => {
    let now = 1_700_000_000_000;
    const { model, languageModel } = await startFixture({ tokensPerMinute: 40, now: () => now });
    const first = await generateText({ model: languageModel(api), prompt: "hello", maxRetries: 0 });
    expect(first.usage.totalTokens).toBeGreaterThan(20);

    now += 30_000;
    const error = await generateText({ model: languageModel(api), prompt: "hello", maxRetries: 0 }).catch(
      (caught: unknown) => caught,
    );
    expect(APICallError.isInstance(error) && error.statusCode).toBe(429);
    const apiError = error as APICallError;
    expect(apiError.message).toMatch(/tokens per min \(TPM\): Limit 40, Used \d+, Requested \d+/);
    expect(apiError.responseHeaders).toMatchObject({
      "x-ratelimit-limit-tokens": "40",
      "x-ratelimit-remaining-tokens": "0",
      "retry-after": "30",
      "retry-after-ms": "30000",
    });
    expect(JSON.parse(apiError.responseBody ?? "{}").error).toMatchObject({
      type: "tokens",
      code: "rate_limit_exceeded",
    });

    now += 30_000;
    const third = await generateText({ model: languageModel(api), prompt: "hello", maxRetries: 0 });
    expect(third.text).toBe(first.text);
    expect(model.stats()).toMatchObject({ requests: 3, rateLimited: 1 });
  });

  it("enforces its requests-per-minute limit before a stream starts", async () => {
    const { languageModel } = await startFixture({ requestsPerMinute: 1, now: () => 0 });
    await generateText({ model: languageModel(api), prompt: "one" });
    const reported: unknown[] = [];
    const result = streamText({
      model: languageModel(api),
      prompt: "two",
      maxRetries: 0,
      onError: ({ error }) => void reported.push(error),
    });
    await expect(result.text).rejects.toThrow("No output generated");
    const [error] = reported;
    expect(APICallError.isInstance(error) && error.statusCode).toBe(429);
    expect((error as APICallError).message).toContain("requests per min (RPM): Limit 1");
  });
});
