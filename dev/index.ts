/**
 * Overtime's local stack: faithful stand-ins for Upstash Redis (REST, in front of a real redis-server),
 * QStash with the Workflow server side (virtual clock included) and an OpenAI-compatible deterministic
 * dev model (not an LLM). The real SDKs talk to them unchanged.
 *
 * @example
 * ```ts
 * import { startDevStack } from "overtime-dev";
 * const stack = await startDevStack({ dataDir: ".data", persist: false });
 * console.log(stack.env.QSTASH_URL); // …and the other settings an app needs
 * await stack.stop();
 * ```
 * The CLI: `npx overtime dev` (stand-ins + your `next dev`), `npx overtime stack` (stand-ins only). The
 * time-skipping harness for your own tests: `overtime-dev/testing`.
 */
export {
  DEV_OPENAI_API_KEY,
  DEV_REDIS_REST_TOKEN,
  type DevStack,
  type DevStackEnv,
  type DevStackOptions,
  startDevStack,
} from "./stack";
