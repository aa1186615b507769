import { defineWorkflow } from "overtime";
import { z } from "zod";

export const greet = defineWorkflow({
  name: "greet",
  input: z.object({ name: z.string() }),
  async handler({ context, input }) {
    const greeting = await context.run("compose", () => `Hello, ${input.name}`);
    await context.sleep("pause", 3_600);
    const { eventData } = await context.waitForEvent("reply", `reply-${input.name}`, { timeout: "1d" });
    return context.run("finish", () => `${greeting}; they said ${JSON.stringify(eventData)}`);
  },
});

export const workflows = [greet];
