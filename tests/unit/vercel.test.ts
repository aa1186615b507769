import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEnv, publicBaseUrl } from "@/app/_lib/env";
import { InlineTurnTooLongError, inlineBudgetSeconds, withinFunctionLimit } from "@/lib/ai/duration";
import { scopeFromEnv } from "@/lib/schedules";
import {
  DEFAULT_MAX_DURATION_SECONDS,
  deliveryHeadersFor,
  deploymentBaseUrl,
  deployScheduleDecision,
  PROTECTION_BYPASS_HEADER,
} from "@/lib/vercel";

const complete = {
  QSTASH_TOKEN: "qstash-token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_current",
  QSTASH_NEXT_SIGNING_KEY: "sig_next",
  OPENAI_API_KEY: "sk-dev",
};

describe("base URL rules", () => {
  const vercel = {
    productionHost: "app.example.com",
    branchHost: "app-git-feature-team.vercel.app",
    deploymentHost: "app-abc123-team.vercel.app",
  };

  it("production uses the project's production URL, never the per-deployment URL", () => {
    expect(deploymentBaseUrl({ ...vercel, vercelEnv: "production" })).toBe("https://app.example.com");
  });

  it("a preview uses its branch URL, else the deployment URL", () => {
    expect(deploymentBaseUrl({ ...vercel, vercelEnv: "preview" })).toBe(
      "https://app-git-feature-team.vercel.app",
    );
    expect(deploymentBaseUrl({ deploymentHost: vercel.deploymentHost, vercelEnv: "preview" })).toBe(
      "https://app-abc123-team.vercel.app",
    );
  });

  it("an explicit UPSTASH_WORKFLOW_URL always wins; with nothing known, the local server", () => {
    const explicitUrl = "https://pr-7.example.dev";
    expect(deploymentBaseUrl({ ...vercel, vercelEnv: "production", explicitUrl })).toBe(explicitUrl);
    expect(deploymentBaseUrl({ ...vercel, vercelEnv: "preview", explicitUrl })).toBe(explicitUrl);
    expect(deploymentBaseUrl({})).toBe("http://127.0.0.1:3000");
    expect(deploymentBaseUrl({ localPort: 4000 })).toBe("http://127.0.0.1:4000");
  });

  it("the app (publicBaseUrl) and schedules:sync (scopeFromEnv) apply the same rules", () => {
    const env = {
      VERCEL_ENV: "production",
      VERCEL_PROJECT_PRODUCTION_URL: "app.example.com",
      VERCEL_BRANCH_URL: "app-git-main-team.vercel.app",
      VERCEL_URL: "app-abc123-team.vercel.app",
    };
    expect(publicBaseUrl(env)).toBe("https://app.example.com");
    expect(scopeFromEnv(env)).toEqual({ environment: "production", baseUrl: "https://app.example.com" });
    const preview = { ...env, VERCEL_ENV: "preview" };
    expect(publicBaseUrl(preview)).toBe("https://app-git-main-team.vercel.app");
    expect(scopeFromEnv(preview).baseUrl).toBe("https://app-git-main-team.vercel.app");
  });
});

describe("Redis credentials from the Vercel Marketplace integration", () => {
  it("accepts KV_REST_API_URL / KV_REST_API_TOKEN when UPSTASH_REDIS_REST_* are unset", () => {
    const env = parseEnv({ ...complete, KV_REST_API_URL: "https://kv.upstash.io", KV_REST_API_TOKEN: "kv" });
    expect(env.UPSTASH_REDIS_REST_URL).toBe("https://kv.upstash.io");
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("kv");
  });

  it("prefers UPSTASH_REDIS_REST_* when both are set, and names both when neither is", () => {
    const env = parseEnv({
      ...complete,
      UPSTASH_REDIS_REST_URL: "https://mine.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "mine",
      KV_REST_API_URL: "https://kv.upstash.io",
      KV_REST_API_TOKEN: "kv",
    });
    expect([env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN]).toEqual([
      "https://mine.upstash.io",
      "mine",
    ]);
    expect(() => parseEnv(complete)).toThrow(/UPSTASH_REDIS_REST_URL is missing.*KV_REST_API_URL/);
  });

  it("rejects a malformed KV_REST_API_URL, naming it", () => {
    expect(() =>
      parseEnv({ ...complete, KV_REST_API_URL: "kv.upstash.io", KV_REST_API_TOKEN: "kv" }),
    ).toThrow(/KV_REST_API_URL must be an http\(s\) URL/);
  });
});

describe("protection bypass", () => {
  it("is a delivery header only when the secret is set", () => {
    expect(deliveryHeadersFor(undefined)).toEqual({});
    expect(deliveryHeadersFor("s")).toEqual({ [PROTECTION_BYPASS_HEADER]: "s" });
    const env = parseEnv({
      ...complete,
      KV_REST_API_URL: "https://k.io",
      KV_REST_API_TOKEN: "k",
      VERCEL_AUTOMATION_BYPASS_SECRET: "b",
    });
    expect(deliveryHeadersFor(env.VERCEL_AUTOMATION_BYPASS_SECRET)).toEqual({
      [PROTECTION_BYPASS_HEADER]: "b",
    });
  });
});

describe("schedules on deploy", () => {
  const base = { setting: "auto" as const, hasQStashToken: true, hasStableUrl: true };

  it("production builds sync and prune their environment's other URLs", () => {
    expect(deployScheduleDecision({ ...base, vercelEnv: "production" })).toEqual({
      sync: true,
      environment: "production",
      pruneOtherUrls: true,
    });
    expect(
      deployScheduleDecision({ ...base, vercelEnv: "production", overtimeEnv: "staging" }),
    ).toMatchObject({
      sync: true,
      environment: "staging",
    });
  });

  it("previews get no schedules unless opted in, and then never prune other branches", () => {
    expect(deployScheduleDecision({ ...base, vercelEnv: "preview" })).toMatchObject({ sync: false });
    expect(deployScheduleDecision({ ...base, vercelEnv: "preview", setting: "on" })).toEqual({
      sync: true,
      environment: "preview",
      pruneOtherUrls: false,
    });
  });

  it("skips without QStash credentials, outside Vercel, or when off; fails without a stable URL", () => {
    expect(deployScheduleDecision({ ...base, vercelEnv: "production", hasQStashToken: false })).toEqual({
      sync: false,
      reason: "no QSTASH_TOKEN in the production environment",
    });
    expect(deployScheduleDecision({ ...base })).toMatchObject({ sync: false });
    expect(deployScheduleDecision({ ...base, vercelEnv: "development" })).toMatchObject({ sync: false });
    expect(deployScheduleDecision({ ...base, vercelEnv: "production", setting: "off" })).toMatchObject({
      sync: false,
    });
    expect(deployScheduleDecision({ ...base, vercelEnv: "production", hasStableUrl: false })).toMatchObject({
      sync: false,
      fail: true,
      reason: expect.stringContaining("VERCEL_PROJECT_PRODUCTION_URL"),
    });
  });
});

describe("function duration", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the catch-all route's maxDuration is the default OVERTIME_MAX_DURATION", () => {
    const route = readFileSync(new URL("../../app/api/[...path]/route.ts", import.meta.url), "utf8");
    expect(route).toMatch(new RegExp(`^export const maxDuration = ${DEFAULT_MAX_DURATION_SECONDS};$`, "m"));
    expect(route).toMatch(/^export const runtime = "nodejs";$/m);
    expect(
      parseEnv({ ...complete, KV_REST_API_URL: "https://k.io", KV_REST_API_TOKEN: "k" })
        .OVERTIME_MAX_DURATION,
    ).toBe(DEFAULT_MAX_DURATION_SECONDS);
  });

  it("stops an inline call shortly before the limit with an error suggesting offload", async () => {
    vi.useFakeTimers();
    const warn = vi.fn();
    let aborted: AbortSignal | undefined;
    const call = withinFunctionLimit(
      { maxDurationSeconds: 300, warn },
      'Agent "a", step "turn-1"',
      (signal) => {
        aborted = signal;
        return new Promise((_, reject) =>
          signal?.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      },
    );
    const outcome = call.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(inlineBudgetSeconds(300) * 1_000);
    const error = await outcome;
    expect(aborted?.aborted).toBe(true);
    expect(error).toBeInstanceOf(InlineTurnTooLongError);
    expect(String((error as Error).message)).toContain('Agent "a", step "turn-1"');
    expect(String((error as Error).message)).toContain('mode: "offload"');
    expect(warn).not.toHaveBeenCalled();
  });

  it("warns when an inline call used over half the limit, and stays quiet below", async () => {
    vi.useFakeTimers();
    const warn = vi.fn();
    const slow = withinFunctionLimit({ maxDurationSeconds: 60, warn }, "turn", async () => {
      await new Promise((resolve) => setTimeout(resolve, 40_000));
      return "done";
    });
    await vi.advanceTimersByTimeAsync(40_000);
    expect(await slow).toBe("done");
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toContain("took 40 s of the function's 60 s limit");
    const quick = await withinFunctionLimit({ maxDurationSeconds: 60, warn }, "turn", async () => "fast");
    expect(quick).toBe("fast");
    expect(warn).toHaveBeenCalledOnce();
    expect(await withinFunctionLimit(undefined, "turn", async (signal) => signal)).toBeUndefined();
  });
});
