import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModel } from "ai";
import { afterEach } from "vitest";
import { type DevModelOptions, type RunningDevModel, startDevModel } from "@/dev/model/server";

export type ApiName = "responses" | "chat";
export const API_NAMES: ApiName[] = ["responses", "chat"];

export interface DevModelFixture {
  model: RunningDevModel;
  /** `openai(id)` (Responses API) or `openai.chat(id)` (Chat Completions). */
  languageModel(api: ApiName, id?: string): LanguageModel;
}

const running: RunningDevModel[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((model) => model.close()));
});

/** Starts a dev model on a free port, closed again after the test. */
export async function startFixture(options: DevModelOptions = {}): Promise<DevModelFixture> {
  const model = await startDevModel(options);
  running.push(model);
  const openai = createOpenAI({ baseURL: model.url, apiKey: options.apiKey ?? "dev" });
  return {
    model,
    languageModel: (api, id = "gpt-4o-mini") => (api === "responses" ? openai(id) : openai.chat(id)),
  };
}

export function endpointOf(api: ApiName): string {
  return api === "responses" ? "POST /v1/responses" : "POST /v1/chat/completions";
}
