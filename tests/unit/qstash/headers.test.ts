import { describe, expect, it } from "vitest";
import {
  canonicalize,
  canonicalKey,
  flowControlValue,
  parseDuration,
  parseFlowControl,
  parseLabels,
  responseHeaderArrays,
  withPrefix,
} from "../../../dev/qstash/headers";

describe("canonical header keys (Go net/http style)", () => {
  it("upper-cases the first letter and each letter after a dash", () => {
    expect(canonicalKey("get-header")).toBe("Get-Header");
    expect(canonicalKey("UPSTASH-WORKFLOW-RUNID")).toBe("Upstash-Workflow-Runid");
    expect(canonicalKey("content-type")).toBe("Content-Type");
    expect(canonicalKey("x")).toBe("X");
  });

  it("canonicalizes a header record and joins arrays", () => {
    expect(canonicalize({ "x-a": "1", "X-B": ["2", "3"], skip: undefined })).toEqual({
      "X-A": "1",
      "X-B": "2,3",
    });
  });

  it("turns response headers into canonical arrays", () => {
    const headers = new Headers({ "get-header": "v", "content-type": "text/plain" });
    expect(responseHeaderArrays(headers)).toEqual({ "Get-Header": ["v"], "Content-Type": ["text/plain"] });
  });

  it("strips a prefix", () => {
    expect(
      withPrefix(
        { "Upstash-Callback-Retries": "2", "Upstash-Callback": "u", Other: "x" },
        "Upstash-Callback-",
      ),
    ).toEqual({
      Retries: "2",
    });
  });
});

describe("durations", () => {
  it("parses Go-style composites and bare seconds", () => {
    expect(parseDuration("10s", "h")).toBe(10_000);
    expect(parseDuration("1d10h30m", "h")).toBe(86_400_000 + 10 * 3_600_000 + 30 * 60_000);
    expect(parseDuration("500ms", "h")).toBe(500);
    expect(parseDuration("30", "h")).toBe(30_000);
    expect(parseDuration("1.5s", "h")).toBe(1500);
  });

  it("rejects garbage with a 400 naming the header", () => {
    expect(() => parseDuration("ten seconds", "Upstash-Delay")).toThrow(/Upstash-Delay/);
    expect(() => parseDuration("10x", "Upstash-Delay")).toThrow();
    expect(() => parseDuration("", "Upstash-Delay")).toThrow();
  });
});

describe("flow control value", () => {
  it("parses the SDK format with spaces and the docs format without", () => {
    expect(parseFlowControl("k", "parallelism=2, rate=10, period=1m")).toEqual({
      key: "k",
      parallelism: 2,
      rate: 10,
      period: 60,
    });
    expect(parseFlowControl("k", "rate=5,period=10s")).toEqual({ key: "k", rate: 5, period: 10 });
  });

  it("needs parallelism or rate, a key, and known names", () => {
    expect(() => parseFlowControl("k", "period=1s")).toThrow();
    expect(() => parseFlowControl(undefined, "rate=1")).toThrow();
    expect(() => parseFlowControl("k", "speed=1")).toThrow();
    expect(parseFlowControl(undefined, undefined)).toBeUndefined();
  });

  it("formats back", () => {
    expect(flowControlValue({ key: "k", parallelism: 1, rate: 2, period: 3 })).toBe(
      "parallelism=1, rate=2, period=3s",
    );
  });
});

describe("labels", () => {
  it("splits on commas and validates characters", () => {
    expect(parseLabels("a,b-1, c.d_e")).toEqual(["a", "b-1", "c.d_e"]);
    expect(parseLabels(undefined)).toEqual([]);
    expect(() => parseLabels("bad label")).toThrow(/invalid label/);
  });
});
