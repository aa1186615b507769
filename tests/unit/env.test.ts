import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeVariables, EnvError, parseEnv } from "@/app/_lib/env";

const valid = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "token",
  QSTASH_TOKEN: "qstash-token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_current",
  QSTASH_NEXT_SIGNING_KEY: "sig_next",
  OPENAI_API_KEY: "sk-dev",
};

describe("parseEnv", () => {
  it("accepts a complete environment and fills defaults", () => {
    const env = parseEnv(valid);
    expect(env.QSTASH_URL).toBe("https://qstash.upstash.io");
    expect(env.OVERTIME_RETENTION_DAYS).toBe(30);
    expect(env.OPENAI_BASE_URL).toBeUndefined();
  });

  it("names each missing variable and where it comes from", () => {
    const { UPSTASH_REDIS_REST_TOKEN: _, QSTASH_TOKEN: __, ...rest } = valid;
    const error = catchError(() => parseEnv(rest));
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).problems).toHaveLength(2);
    expect(error.message).toContain("UPSTASH_REDIS_REST_TOKEN is missing");
    expect(error.message).toContain("Upstash console → Redis");
    expect(error.message).toContain("QSTASH_TOKEN is missing");
  });

  it("treats an empty value as missing", () => {
    const error = catchError(() => parseEnv({ ...valid, OPENAI_API_KEY: "" }));
    expect(error.message).toContain("OPENAI_API_KEY is missing");
  });

  it("rejects a malformed URL, naming the variable", () => {
    const error = catchError(() => parseEnv({ ...valid, UPSTASH_REDIS_REST_URL: "127.0.0.1:8079" }));
    expect(error.message).toContain("UPSTASH_REDIS_REST_URL must be an http(s) URL");
  });

  it("rejects an out-of-range retention", () => {
    const error = catchError(() => parseEnv({ ...valid, OVERTIME_RETENTION_DAYS: "0" }));
    expect(error.message).toContain("OVERTIME_RETENTION_DAYS");
  });
});

describe(".env.example", () => {
  it("lists every variable the app reads", () => {
    const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    for (const { name } of describeVariables()) expect(example).toMatch(new RegExp(`^#? ?${name}=`, "m"));
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
