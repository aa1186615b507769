import type { Redis } from "@upstash/redis";
import type { WorkflowContext } from "@upstash/workflow";
import { defineWorkflow, isLastAttempt, type KeyBuilder } from "overtime";
import { z } from "zod";
import { redis as appRedis } from "@/app/_lib/redis";

/** Thrown by a saga step for a failure that retrying cannot fix: the saga compensates at once. */
export class PermanentStepError extends Error {
  override name = "PermanentStepError";
}

export interface SagaStep {
  name: string;
  /**
   * Does the work. Throw `PermanentStepError` to roll back now; any other error is retried by QStash,
   * and rolls back when the step's last retry fails too.
   */
  run(): Promise<unknown>;
  /** Undoes `run`. Must be idempotent: a retried compensation step runs it again. */
  compensate(): Promise<unknown>;
}

export type SagaResult =
  | { outcome: "completed"; completed: string[] }
  | { outcome: "rolled-back"; failedStep: string; reason: string; compensated: string[] };

type StepOutcome = { ok: true } | { ok: false; reason: string };

/**
 * Runs `steps` in order, each as a durable step. When one fails permanently (or its retries run out),
 * the ones before it are compensated in reverse order, each as its own step (`compensate-<name>`), so a
 * crash mid-rollback resumes where it stopped. The failure is a value of the step, not a thrown error:
 * a thrown one on the last attempt would fail the run with no chance to compensate.
 */
export async function runSaga(
  context: WorkflowContext<unknown>,
  steps: readonly SagaStep[],
): Promise<SagaResult> {
  const done: SagaStep[] = [];
  for (const step of steps) {
    const outcome = await context.run(step.name, async (): Promise<StepOutcome> => {
      try {
        await step.run();
        return { ok: true };
      } catch (error) {
        if (error instanceof PermanentStepError) return { ok: false, reason: error.message };
        if (!isLastAttempt(context)) throw error;
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, reason: `${message} (retries exhausted after ${context.retried + 1} attempts)` };
      }
    });
    if (!outcome.ok) {
      const compensated: string[] = [];
      for (const prior of done.reverse()) {
        await context.run(`compensate-${prior.name}`, async () => {
          await prior.compensate();
          return true;
        });
        compensated.push(prior.name);
      }
      return { outcome: "rolled-back", failedStep: step.name, reason: outcome.reason, compensated };
    }
    done.push(step);
  }
  return { outcome: "completed", completed: steps.map((step) => step.name) };
}

/** The reference change: four steps of a plan upgrade; `failAt` makes one of them fail permanently. */
export const UPGRADE_STEPS = [
  "reserve-credits",
  "create-workspace",
  "grant-access",
  "activate-billing",
] as const;

/**
 * Applies a step's effect unless it is in effect: marks it applied and logs it, atomically. A step
 * compensated by an earlier rollback of the same change is applied again, so a change run again after
 * a rollback really is in effect when it reports `completed`. KEYS: state hash, log list. ARGV: step.
 * Returns 1 when applied now, 0 when it already was.
 */
const APPLY_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) == 'applied' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'applied')
redis.call('RPUSH', KEYS[2], 'applied:' .. ARGV[1])
return 1
`;

/**
 * Undoes a step's effect at most once, atomically with recording that it did, so a retried
 * compensation finds it done. Returns 1 when compensated now, 0 when it already was, -1 when the step
 * was never applied (nothing to undo).
 */
const COMPENSATE_SCRIPT = `
local state = redis.call('HGET', KEYS[1], ARGV[1])
if state == 'compensated' then return 0 end
if state ~= 'applied' then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], 'compensated')
redis.call('RPUSH', KEYS[2], 'compensated:' .. ARGV[1])
return 1
`;

export interface SagaDependencies {
  redis: () => Redis;
  /** Called before each step's effect; tests throw here to make a step fail until its retries run out. */
  beforeApply?(step: string): void | Promise<void>;
  /** Called after each compensation's effect; tests throw here to force a retry of the step. */
  afterCompensate?(step: string): void | Promise<void>;
}

const input = z.object({
  changeId: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, "letters, digits and . _ : - (at most 100)"),
  /** Step number (1–4) that fails permanently, to see the rollback; none by default. */
  failAt: z.number().int().min(1).max(UPGRADE_STEPS.length).optional(),
});

/** The saga variant of the drip: a multi-step change that rolls back in reverse when a step fails. */
export function createSagaWorkflow({ redis, beforeApply, afterCompensate }: SagaDependencies) {
  return defineWorkflow({
    name: "saga",
    description: "A four-step plan upgrade; a permanent failure compensates the finished steps in reverse.",
    input,
    async handler({ context, input: { changeId, failAt }, key }) {
      const keys = sagaKeys(key, changeId);
      const steps = UPGRADE_STEPS.map(
        (name, index): SagaStep => ({
          name,
          async run() {
            if (failAt === index + 1)
              throw new PermanentStepError(`${name} was declined (simulated failure)`);
            await beforeApply?.(name);
            await redis().eval(APPLY_SCRIPT, [keys.state, keys.log], [name]);
          },
          async compensate() {
            await redis().eval(COMPENSATE_SCRIPT, [keys.state, keys.log], [name]);
            await afterCompensate?.(name);
          },
        }),
      );
      return runSaga(context as WorkflowContext<unknown>, steps);
    },
  });
}

export function sagaKeys(key: KeyBuilder, changeId: string) {
  return { state: key("saga", changeId, "state"), log: key("saga", changeId, "log") };
}

/** What the change did so far: each step's state and the ordered log of effects. */
export async function sagaLedger(
  redis: Redis,
  key: KeyBuilder,
  changeId: string,
): Promise<{ state: Record<string, string>; log: string[] }> {
  const keys = sagaKeys(key, changeId);
  const [state, log] = await Promise.all([
    redis.hgetall<Record<string, string>>(keys.state),
    redis.lrange(keys.log, 0, -1),
  ]);
  return { state: state ?? {}, log };
}

export const saga = createSagaWorkflow({ redis: appRedis });
