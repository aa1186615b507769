import { defineWorkflow } from "overtime";
import { z } from "zod";

/** The smallest real workflow: three steps and a sleep, to see runs, steps and events end to end. */
export const hello = defineWorkflow({
  name: "hello",
  description: "Greets someone, waits a minute, then says goodbye.",
  input: z.object({ name: z.string().min(1).max(100) }),
  output: z.object({ greeting: z.string(), farewell: z.string() }),
  schedules: [{ id: "daily", cron: "0 9 * * *", timezone: "UTC", input: { name: "world" } }],
  async handler({ context, input, log }) {
    const greeting = await context.run("greet", () => {
      log(`greeting ${input.name}`);
      return `Hello, ${input.name}!`;
    });
    await context.run("note-time", () => new Date().toISOString());
    await context.sleep("wait-a-minute", 60);
    const farewell = await context.run("farewell", () => `Goodbye, ${input.name}.`);
    return { greeting, farewell };
  },
});
