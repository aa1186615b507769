import { Redis } from "@upstash/redis";
import type { DevStackEnv } from "overtime-dev";
import { RedisStreamStore } from "./streams/redis-store";
import { seedIfEmpty } from "./streams/seed";

/** `overtime dev` runs this once the stand-ins are up: Jeeves needs real series in Redis (first start only). */
export default async function devSetup(env: DevStackEnv): Promise<string | undefined> {
  const redis = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
  const seeded = await seedIfEmpty(new RedisStreamStore(redis));
  return seeded ? `seeded ${seeded.streams} data streams (${seeded.added} points) for Jeeves` : undefined;
}
