import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BAD_IDS, INTERNALS } from "@/tests/support/hostile-input";
import { DASHBOARD_TOKEN, type Dashboard, startDashboard, TRIGGER_SECRET } from "./harness";

/**
 * The same hostile ids as the integration corpus, against the production build (`next start`): Next.js
 * routing, the proxy and the pages must not turn any of them into a 5xx or leak internals either.
 */
let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(async () => {
  await dashboard?.stop();
});

function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(dashboard.url);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(body !== undefined && { "content-length": Buffer.byteLength(body) }) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (text.length < 50_000) text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(body);
  });
}

it("answers hostile ids on every API route and run page of the production build with 4xx, no internals", async () => {
  const api = { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" };
  const pages = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
  const failures: string[] = [];
  for (const id of BAD_IDS) {
    const cases: Array<[string, string, Record<string, string>, string?]> = [
      ["POST", `/api/events/${id}`, api, "{}"],
      ["POST", `/api/trigger/${id}`, api, "{}"],
      ["GET", `/api/runs/${id}`, pages],
      ["GET", `/api/runs/${id}/events`, pages],
      ["GET", `/api/runs/wfr_x/steps/${id}`, pages],
      ["POST", `/api/runs/${id}/cancel`, api, ""],
      ["POST", `/api/runs/${id}/retry`, api, "{}"],
      ["POST", `/api/runs/${id}/approvals/${id}`, api, '{"approved":true}'],
      ["GET", `/runs/${id}`, pages],
    ];
    for (const [method, path, headers, body] of cases) {
      const { status, text } = await send(method, path, headers, body);
      if (status >= 500 || INTERNALS.test(text))
        failures.push(`${status} ${method} ${path.slice(0, 90)}: ${text.slice(0, 160)}`);
    }
  }
  expect(failures).toEqual([]);
}, 240_000);
