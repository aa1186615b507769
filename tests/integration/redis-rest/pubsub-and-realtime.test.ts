import { handle, Realtime } from "@upstash/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod/v4";
import { type Stack, startStack } from "./harness";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

function nextEvent<T>(register: (listener: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("subscribe / psubscribe as server-sent events", () => {
  it("delivers published messages to subscribe and psubscribe streams", async () => {
    const redis = stack.client();
    const subscriber = redis.subscribe<{ n: number }>(["news"]);
    const patternSubscriber = redis.psubscribe<{ n: number }>(["new*"]);
    await Promise.all([
      nextEvent<number>((listener) => subscriber.on("subscribe", listener)),
      nextEvent<number>((listener) => patternSubscriber.on("psubscribe", listener)),
    ]);
    const message = nextEvent((listener) => subscriber.on("message", listener));
    const patternMessage = nextEvent((listener) => patternSubscriber.on("pmessage", listener));
    expect(await redis.publish("news", { n: 1 })).toBe(2);
    expect(await message).toEqual({ channel: "news", message: { n: 1 } });
    expect(await patternMessage).toEqual({ pattern: "new*", channel: "news", message: { n: 1 } });
    expect(stack.rest.stats().activeStreams).toBe(2);
    await subscriber.unsubscribe();
    await patternSubscriber.unsubscribe();
    await until(() => stack.rest.stats().activeStreams === 0, "the streams to close");
    expect(await redis.publish("news", { n: 2 })).toBe(0);
  });

  it("writes the plain-text event format (never base64)", async () => {
    const controller = new AbortController();
    const response = await fetch(`${stack.rest.url}/subscribe/plain%20channel`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.rest.token}`,
        "Upstash-Encoding": "base64",
        Accept: "text/event-stream",
      },
      body: "[]",
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body?.getReader();
    if (!reader) throw new Error("no body");
    const decoder = new TextDecoder();
    let text = "";
    const readEvents = async (count: number) => {
      while (text.split("\n\n").length <= count) text += decoder.decode((await reader.read()).value);
    };
    await readEvents(1);
    await stack.direct.publish("plain channel", "a,b,c");
    await readEvents(2);
    expect(text).toBe("data: subscribe,plain channel,1\n\ndata: message,plain channel,a,b,c\n\n");
    controller.abort();
  });
});

describe("@upstash/realtime over the stand-in", () => {
  const schema = { chat: { message: z.object({ text: z.string() }) } };

  it("emits, subscribes with history, and reads history", async () => {
    const realtime = new Realtime({ redis: stack.client(), schema });
    const channel = realtime.channel("room-1");
    await channel.emit("chat.message", { text: "before subscribing" });
    const received: { event: string; data: unknown }[] = [];
    const unsubscribe = await channel.subscribe({
      events: ["chat.message"],
      history: true,
      onData: ({ event, data }) => received.push({ event, data }),
    });
    await channel.emit("chat.message", { text: "live" });
    await until(() => received.length === 2, "two realtime messages");
    expect(received).toEqual([
      { event: "chat.message", data: { text: "before subscribing" } },
      { event: "chat.message", data: { text: "live" } },
    ]);
    unsubscribe();
    const history = await channel.history();
    expect(history.map((entry) => entry.data)).toEqual([{ text: "before subscribing" }, { text: "live" }]);
    expect(history.every((entry) => entry.channel === "room-1" && /^\d+-\d+$/.test(entry.id))).toBe(true);
  });

  it("streams events through the route handler a Next.js app would mount", async () => {
    const realtime = new Realtime({ redis: stack.client(), schema });
    const controller = new AbortController();
    const request = new Request("http://app.local/api/realtime?channel=room-2", {
      signal: controller.signal,
    });
    const response = await handle({ realtime })(request);
    const reader = response?.body?.getReader();
    if (!reader) throw new Error("no body");
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += decoder.decode((await reader.read()).value);
    };
    await readUntil('"type":"connected"');
    await realtime.channel("room-2").emit("chat.message", { text: "via handler" });
    await readUntil("via handler");
    expect(text).toContain('"event":"chat.message"');
    controller.abort();
    await reader.cancel();
  });
});
