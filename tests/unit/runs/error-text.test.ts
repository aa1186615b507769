import { describe, expect, it } from "vitest";
import { errorText, withoutStack } from "@/lib/runs/error-text";

const ROOT = "/srv/app";

describe("errorText: a failure's message, fit to show", () => {
  it("takes the message out of the workflow SDK's error body and drops the stack", () => {
    const stack = `Error: boom\n    at step (${ROOT}/workflows/a.ts:3:9)\n    at run (${ROOT}/node_modules/x.js:1:1)`;
    expect(errorText(JSON.stringify({ error: "Error", message: "boom", stack }), ROOT)).toBe("boom");
    expect(errorText(stack, ROOT)).toBe("Error: boom");
  });

  it("makes paths under the project relative and shortens any other absolute path", () => {
    expect(errorText(`ENOENT: open '${ROOT}/data/x.json'`, ROOT)).toBe("ENOENT: open 'data/x.json'");
    expect(errorText(`at file://${ROOT}/lib/a.ts`, ROOT)).toBe("at lib/a.ts");
    expect(errorText("ENOENT: open '/var/task/.next/server/chunk.js'", ROOT)).toBe(
      "ENOENT: open '…/chunk.js'",
    );
  });

  it("leaves URLs, plain text and bodies that are not the SDK's alone", () => {
    expect(errorText("see https://example.com/a/b/c", ROOT)).toBe("see https://example.com/a/b/c");
    expect(errorText("{not json", ROOT)).toBe("{not json");
    expect(errorText(new Error("thrown"), ROOT)).toBe("thrown");
    expect(errorText("", ROOT)).toBe("Unknown error");
    expect(errorText("x".repeat(5_000), ROOT)).toHaveLength(2_001);
  });
});

describe("withoutStack", () => {
  it("answers an error body without its stack, keeping status and headers", async () => {
    const body = { error: "Error", message: "boom", stack: `Error: boom\n    at ${process.cwd()}/a.ts:1:1` };
    const response = await withoutStack(
      new Response(JSON.stringify(body), { status: 500, headers: { "Upstash-Error-Step-Name": "charge" } }),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("upstash-error-step-name")).toBe("charge");
    expect(await response.json()).toEqual({ error: "Error", message: "boom" });
  });

  it("passes successes and other bodies through untouched", async () => {
    const ok = new Response("{}", { status: 200 });
    expect(await withoutStack(ok)).toBe(ok);
    const text = new Response("not json", { status: 500 });
    expect(await withoutStack(text)).toBe(text);
  });
});
