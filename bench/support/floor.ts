import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DevStackEnv } from "../../dev/stack";
import { intervals, median } from "./numbers";

/**
 * The floor a workflow step is measured against: a message bouncing between two local servers,
 * `hops` times, and the median time per hop.
 * - through QStash: each server, on delivery, publishes the next message to the other (as the SDK
 *   publishes the next step before answering), then answers 200;
 * - plain node:http: each server answers 200, then POSTs to the other directly.
 */
export async function qstashPingPongMs(env: DevStackEnv, hops: number, timeoutMs = 60_000): Promise<number> {
  const publish = async (to: string, hop: number) => {
    const response = await fetch(`${env.QSTASH_URL}/v2/publish/${to}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.QSTASH_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ hop }),
    });
    if (!response.ok) throw new Error(`publish answered ${response.status}`);
  };
  return pingPong(hops, timeoutMs, { beforeAnswer: publish });
}

export async function httpPingPongMs(hops: number, timeoutMs = 60_000): Promise<number> {
  const post = async (to: string, hop: number) => {
    await fetch(to, { method: "POST", body: JSON.stringify({ hop }) });
  };
  return pingPong(hops, timeoutMs, { afterAnswer: post });
}

type Send = (to: string, hop: number) => Promise<void>;

async function pingPong(
  hops: number,
  timeoutMs: number,
  send: { beforeAnswer?: Send; afterAnswer?: Send },
): Promise<number> {
  const marks: number[] = [];
  let finish: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const urls: string[] = [];
  const servers = [0, 1].map((index) =>
    createServer((req, res) => {
      onHop(req, urls[1 - index] as string)
        .then(async (next) => {
          if (next !== undefined && send.beforeAnswer)
            await send.beforeAnswer(urls[1 - index] as string, next);
          res.end("ok");
          if (next !== undefined && send.afterAnswer) await send.afterAnswer(urls[1 - index] as string, next);
        })
        .catch(fail);
    }),
  );
  const onHop = async (req: IncomingMessage, _other: string): Promise<number | undefined> => {
    const { hop } = JSON.parse(await readText(req)) as { hop: number };
    marks.push(performance.now());
    if (hop >= hops) {
      finish();
      return undefined;
    }
    return hop + 1;
  };
  try {
    for (const server of servers) urls.push(await listen(server));
    const first = send.beforeAnswer ?? send.afterAnswer;
    await first?.(urls[0] as string, 0);
    await withTimeout(finished, timeoutMs, `ping-pong of ${hops} hops`);
    return median(intervals(marks));
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
