import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "@/dev/model/errors";
import {
  FaultController,
  InvalidFaultConfigError,
  parseFaultHeader,
  retryAfterHeaders,
} from "@/dev/model/faults";

describe("parseFaultHeader", () => {
  it.each([
    ["latency=500", { latencyMs: 500 }],
    ["status=500", { status: 500 }],
    ["status=429;retry-after=2", { status: 429, retryAfterMs: 2000 }],
    ["status=503, retry-after-ms=150", { status: 503, retryAfterMs: 150 }],
    ["truncate=3", { truncateAfterEvents: 3 }],
    [" event-delay = 20 ; LATENCY=1 ", { eventDelayMs: 20, latencyMs: 1 }],
    ["", {}],
  ])("%j", (header, expected) => {
    expect(parseFaultHeader(header)).toEqual(expected);
  });

  it.each(["boom=1", "latency", "latency=-1", "status=200", "status=abc", "status=429.5"])(
    "rejects %j",
    (header) => {
      expect(() => parseFaultHeader(header)).toThrow(InvalidRequestError);
    },
  );
});

describe("FaultController", () => {
  it("applies configured faults the given number of times", () => {
    const faults = new FaultController({ status: 429, times: 2 });
    expect([
      faults.forRequest(undefined),
      faults.forRequest(undefined),
      faults.forRequest(undefined),
    ]).toEqual([{ status: 429, times: 2 }, { status: 429, times: 2 }, {}]);
  });

  it("lets the header override the configured faults for one request", () => {
    const faults = new FaultController({ latencyMs: 100, status: 500 });
    expect(faults.forRequest("status=503")).toEqual({ latencyMs: 100, status: 503 });
    faults.set({});
    expect(faults.forRequest(["latency=5", "truncate=1"])).toEqual({ latencyMs: 5, truncateAfterEvents: 1 });
  });

  it("refuses an invalid configuration", () => {
    expect(() => new FaultController({ status: 302 })).toThrow(InvalidFaultConfigError);
    expect(() => new FaultController({ latencyMs: Number.NaN })).toThrow(InvalidFaultConfigError);
  });
});

describe("retryAfterHeaders", () => {
  it("sends whole seconds (rounded up) and milliseconds", () => {
    expect(retryAfterHeaders(1500)).toEqual({ "retry-after": "2", "retry-after-ms": "1500" });
    expect(retryAfterHeaders(undefined)).toEqual({});
  });
});
