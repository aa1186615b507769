import { WorkflowError } from "@upstash/workflow";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { UnauthorizedError } from "@/lib/http/errors";
import { Keys } from "@/lib/runs/keys";
import { authenticate, signBody } from "@/lib/trigger/auth";
import { defineWorkflow, WorkflowDefinitionError } from "@/lib/workflow/define";
import { createRegistry, DuplicateWorkflowError } from "@/lib/workflow/registry";
import { incompatibleStep } from "@/lib/workflow/serve";

const noop = defineWorkflow({ name: "noop", input: z.object({}), handler: async () => null });

describe("defineWorkflow / createRegistry", () => {
  it("rejects names that cannot live in URLs and keys", () => {
    expect(() => defineWorkflow({ ...noop, name: "Bad Name" })).toThrow(WorkflowDefinitionError);
  });
  it("rejects duplicate schedule ids", () => {
    const schedule = { id: "daily", cron: "0 9 * * *", input: {} };
    expect(() => defineWorkflow({ ...noop, schedules: [schedule, schedule] })).toThrow(/twice/);
  });
  it("looks workflows up and refuses duplicate names", () => {
    const registry = createRegistry([noop]);
    expect(registry.get("noop")).toBe(noop);
    expect(registry.names()).toEqual(["noop"]);
    expect(() => createRegistry([noop, noop])).toThrow(DuplicateWorkflowError);
  });
});

describe("authenticate", () => {
  const secrets = { acme: "s3cret-s3cret-s3cret" };
  const now = () => 1_700_000_000_000;
  const headers = (values: Record<string, string>) => new Headers(values);

  it("accepts a bearer secret and names the caller", () => {
    expect(authenticate(headers({ authorization: `Bearer ${secrets.acme}` }), "", { secrets, now })).toBe(
      "acme",
    );
  });
  it("accepts a fresh HMAC signature over timestamp.body", () => {
    const ts = 1_700_000_000;
    const signed = headers({
      "x-overtime-timestamp": String(ts),
      "x-overtime-signature": signBody(secrets.acme, ts, "{}"),
    });
    expect(authenticate(signed, "{}", { secrets, now })).toBe("acme");
    expect(() => authenticate(signed, "{ }", { secrets, now })).toThrow("Invalid signature");
  });
  it("rejects a stale timestamp even with a valid signature", () => {
    const ts = 1_700_000_000 - 301;
    const signed = headers({
      "x-overtime-timestamp": String(ts),
      "x-overtime-signature": signBody(secrets.acme, ts, ""),
    });
    expect(() => authenticate(signed, "", { secrets, now })).toThrow("Stale timestamp");
  });
  it("rejects everything when no secret is configured", () => {
    expect(() => authenticate(headers({ authorization: "Bearer x" }), "", { secrets: {} })).toThrow(
      UnauthorizedError,
    );
  });
});

describe("incompatibleStep", () => {
  it("reads expected (history) and found (current code) from the SDK's error", () => {
    const error = new WorkflowError("Incompatible step name. Expected 'new', got 'old' from the request");
    expect(incompatibleStep(error)).toEqual({ expected: "old", found: "new" });
    expect(incompatibleStep(new Error("Incompatible step name"))).toBeUndefined();
  });

  it("recognizes a parallel group that changed shape, but not a protocol mismatch", () => {
    const parallel = new WorkflowError(
      "Incompatible number of parallel steps when call state was 'partial'. Expected 2, got 1 from the request.",
    );
    expect(incompatibleStep(parallel)).toMatchObject({ expected: "?" });
    const protocol = new WorkflowError(
      "Incompatible workflow sdk protocol version. Expected 1, got 2 from the request.",
    );
    expect(incompatibleStep(protocol)).toBeUndefined();
  });
});

describe("Keys", () => {
  it("encodes ids so ':' cannot collide with the key structure", () => {
    const keys = new Keys("ot");
    expect(keys.run("a:b")).toBe("ot:run:a%3Ab");
    expect(keys.index("wf", "failed")).toBe("ot:runs:wf:wf:status:failed");
  });
});
