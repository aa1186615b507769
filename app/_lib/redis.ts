import { Redis } from "@upstash/redis";
import { env } from "./env";

let client: Redis | undefined;

/** The app's Upstash Redis client (REST), created on first use from the parsed env. */
export function redis(): Redis {
  client ??= new Redis({ url: env().UPSTASH_REDIS_REST_URL, token: env().UPSTASH_REDIS_REST_TOKEN });
  return client;
}
