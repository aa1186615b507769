import { intervals, median } from "./numbers";

export const BULLMQ_MISSING = "not measured: install bullmq (npm i -D bullmq)";

interface BullJob {
  data: Record<string, unknown>;
  updateData(data: Record<string, unknown>): Promise<void>;
}

interface BullModule {
  Queue: new (
    name: string,
    options: { connection: object },
  ) => {
    add(name: string, data: object): Promise<unknown>;
    close(): Promise<void>;
  };
  Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<unknown>,
    options: { connection: object },
  ) => { on(event: "completed" | "failed", listener: () => void): void; close(): Promise<void> };
}

/** `bullmq` when it can be resolved (it is optional: not a dependency of Overtime). */
async function loadBullmq(): Promise<BullModule | undefined> {
  const specifier = "bullmq";
  try {
    return (await import(specifier)) as BullModule;
  } catch {
    return undefined;
  }
}

/**
 * The same N no-op steps as one BullMQ job on the given redis-server, saving the job's state
 * (`updateData`) after each step, `jobs` times in a row. Returns the median ms per step, or why not.
 */
export async function bullmqMedianStepMs(
  redisUrl: string,
  steps: number,
  jobs: number,
): Promise<number | string> {
  const bullmq = await loadBullmq();
  if (!bullmq) return BULLMQ_MISSING;
  const { hostname, port } = new URL(redisUrl);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const queueName = `overtime-bench-${process.pid}`;
  const queue = new bullmq.Queue(queueName, { connection });
  const gaps: number[] = [];
  let marks: number[] = [];
  let settle: () => void = () => {};
  const worker = new bullmq.Worker(
    queueName,
    async (job) => {
      let state = job.data;
      for (let i = 1; i <= steps; i++) {
        marks.push(performance.now());
        state = { ...state, step: i, [`step-${i}`]: i };
        await job.updateData(state);
      }
      return state;
    },
    { connection },
  );
  worker.on("completed", () => settle());
  worker.on("failed", () => settle());
  try {
    for (let job = 0; job < jobs; job++) {
      marks = [];
      const finished = new Promise<void>((resolve) => {
        settle = resolve;
      });
      await queue.add("noop", { step: 0 });
      await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      gaps.push(...intervals(marks));
    }
    return median(gaps);
  } finally {
    await worker.close();
    await queue.close();
  }
}
