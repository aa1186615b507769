import { describe, expect, it } from "vitest";
import { approvalEventId } from "@/lib/ai/approvals";
import { InvalidIdError, OvertimeError } from "@/lib/errors";
import { assertOpaqueId, assertUrlSafeId, isUrlSafeId, toUrlSafePart } from "@/lib/ids";
import { childRunId } from "@/lib/workflow/serve";

const HOSTILE = [
  "../x",
  "a/b",
  "a\\b",
  "a?b",
  "a#b",
  "a%2Fb",
  "a\u0000b",
  "a b",
  "é",
  "..",
  ".",
  "",
  "x".repeat(257),
];

describe("URL-safe ids", () => {
  it("accept the id shapes Overtime and its users make, ':' included", () => {
    for (const id of ["wfr_0b8e-11", "wfr_order:42", "order:42:paid", "user@example.com", "a.b~c=d+e-f_g"]) {
      expect(assertUrlSafeId("eventId", id)).toBe(id);
    }
  });

  it("reject whatever could steer a URL, naming the field", () => {
    for (const id of HOSTILE) {
      expect(isUrlSafeId(id), JSON.stringify(id)).toBe(false);
      try {
        assertUrlSafeId("eventId", id);
        expect.unreachable();
      } catch (error) {
        expect(InvalidIdError.is(error)).toBe(true);
        expect(OvertimeError.is(error)).toBe(true);
        expect((error as InvalidIdError).field).toBe("eventId");
        expect((error as InvalidIdError).code).toBe("invalid_id");
      }
    }
  });

  it("opaque ids take any text without control characters", () => {
    expect(assertOpaqueId("step", "fetch page #2 / ✓")).toBe("fetch page #2 / ✓");
    for (const bad of ["", "a\u0000b", "a\nb", "x".repeat(513)])
      expect(() => assertOpaqueId("step", bad)).toThrow();
  });
});

describe("ids derived from other text", () => {
  it("keep safe text as it is and make the rest safe and distinct", () => {
    expect(toUrlSafePart("call_abc123")).toBe("call_abc123");
    const made = HOSTILE.filter(Boolean).map((text) => toUrlSafePart(text));
    for (const part of made) expect(isUrlSafeId(`x:${part}`), part).toBe(true);
    expect(new Set(made).size).toBe(made.length);
    expect(toUrlSafePart("a/b")).not.toBe(toUrlSafePart("a?b"));
  });

  it("approval event ids stay URL-safe whatever tool call id a model returns", () => {
    expect(approvalEventId("wfr_1", "call_abc")).toBe("overtime-approval:wfr_1:call_abc");
    expect(isUrlSafeId(approvalEventId("wfr_1", "../../v2/publish/http://evil"))).toBe(true);
  });

  it("child run ids stay URL-safe and bounded for any step name", () => {
    expect(childRunId("wfr_parent", "summarize")).toBe("parent:summarize");
    for (const name of ["fetch page", "../../v2", "x".repeat(1_000)]) {
      const id = `wfr_${childRunId("wfr_parent", name)}`;
      expect(isUrlSafeId(id), id).toBe(true);
    }
  });
});

describe("OvertimeError.is", () => {
  it("matches any Overtime error on the base and only its own code on a subclass", async () => {
    const { NotFoundError, ValidationError } = await import("@/lib/errors");
    const notFound = new NotFoundError("x");
    expect(OvertimeError.is(notFound)).toBe(true);
    expect(NotFoundError.is(notFound)).toBe(true);
    expect(ValidationError.is(notFound)).toBe(false);
    expect(InvalidIdError.is(notFound)).toBe(false);
    expect(OvertimeError.is(new Error("plain"))).toBe(false);
  });
});
