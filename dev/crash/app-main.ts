/**
 * The app as its own process, so a test can kill it with SIGKILL mid-request: Overtime's router on
 * node:http, configured from the environment the test passes (the dev stack's settings).
 */
import { createServer } from "node:http";
import { Redis } from "@upstash/redis";
import { createOvertime, createRouter, defineWorkflow, publicReadAccess } from "overtime";
import { z } from "zod";
import { readBody, toRequest, writeResponse } from "../support/fetch-bridge";

export const tick = defineWorkflow({
  name: "tick",
  input: z.object({ n: z.number().int() }),
  async handler({ context, input }) {
    const doubled = await context.run("double", () => input.n * 2);
    return context.run("finish", () => doubled + 1);
  },
});

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(need("APP_PORT"));
const baseUrl = `http://127.0.0.1:${port}`;
const overtime = createOvertime({
  workflows: [tick],
  redis: new Redis({ url: need("UPSTASH_REDIS_REST_URL"), token: need("UPSTASH_REDIS_REST_TOKEN") }),
  qstash: { url: need("QSTASH_URL"), token: need("QSTASH_TOKEN") },
  signingKeys: { current: need("QSTASH_CURRENT_SIGNING_KEY"), next: need("QSTASH_NEXT_SIGNING_KEY") },
  baseUrl,
  trigger: {
    secrets: { crash: need("TRIGGER_SECRET") },
    rateLimit: { requests: 100_000 },
    recovery: {
      takeOverAfterMs: Number(need("TAKE_OVER_AFTER_MS")),
      staleAfterMs: Number(need("STALE_AFTER_MS")),
    },
  },
});
const router = createRouter(overtime, { readAccess: publicReadAccess });

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", baseUrl);
    const response = await router.handle(toRequest(req, url, await readBody(req)));
    await writeResponse(response, res);
  } catch {
    res.destroy();
  }
});
server.listen({ port, host: "127.0.0.1", backlog: 4096 }, () => process.stdout.write("ready\n"));
