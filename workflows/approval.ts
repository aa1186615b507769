import type { Redis } from "@upstash/redis";
import { type LanguageModel, tool } from "ai";
import { defineWorkflow, type KeyBuilder } from "overtime";
import { type AgentToolResult, runAgent } from "overtime/ai";
import { z } from "zod";
import { defaultModel } from "@/app/_lib/models";
import { redis as appRedis } from "@/app/_lib/redis";

export interface ApprovalDependencies {
  redis: () => Redis;
  model: () => LanguageModel;
}

const input = z.object({
  /** What to announce, e.g. "Overtime 1.2 is out". */
  announcement: z.string().min(1).max(2_000),
  /** How long a human has to decide before the call is declined (default 24 h). */
  approvalTimeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(86_400),
});

const output = z.object({
  outcome: z.enum(["published", "declined", "timeout", "not-attempted"]),
  reviewerNote: z.string().optional(),
  /** The agent's own account of what happened. */
  report: z.string(),
});

export function publishedKey(key: KeyBuilder): string {
  return key("approval", "published");
}

/**
 * An ops agent with one dangerous tool: `publish` posts an announcement publicly, so every call waits
 * for a human (`POST /api/runs/{id}/approvals/{toolCallId}`). Approved → published once; declined or
 * timed out → the tool does not run and the agent is told, so its final report says so.
 */
export function createApprovalWorkflow(deps: ApprovalDependencies) {
  const publishTool = (key: KeyBuilder) =>
    tool({
      description: "Publish an announcement on the public status page. Needs a human's approval.",
      inputSchema: z.object({ title: z.string().min(1).max(200), body: z.string().max(5_000) }),
      needsApproval: true,
      execute: async ({ title, body }, { toolCallId }) => {
        // Keyed by tool call id: a retried step publishes once.
        await deps.redis().hsetnx(publishedKey(key), toolCallId, JSON.stringify({ title, body }));
        return { published: true, title };
      },
    });
  return defineWorkflow({
    name: "approval",
    description: "An ops agent whose publish tool waits for a human's approval.",
    input,
    output,
    async handler(run) {
      const result = await runAgent(run, {
        name: "ops",
        model: deps.model(),
        system:
          "You are an ops assistant. Publish announcements with the publish tool. If a call is not " +
          "executed, say plainly that nothing was published.",
        prompt: `Publish this announcement with publish: "${run.input.announcement}"`,
        tools: { publish: publishTool(run.key) },
        maxTurns: 3,
        approvalTimeoutSeconds: run.input.approvalTimeoutSeconds,
      });
      return { ...outcomeOf(result.toolResults), report: result.text };
    },
  });
}

function outcomeOf(results: AgentToolResult[]): Omit<z.infer<typeof output>, "report"> {
  const call = results.find((r) => r.toolName === "publish");
  if (!call) return { outcome: "not-attempted" };
  if (!call.declined) return { outcome: "published" };
  return { outcome: call.declined.reason, ...(call.declined.note && { reviewerNote: call.declined.note }) };
}

export const approval = createApprovalWorkflow({ redis: appRedis, model: () => defaultModel() });
