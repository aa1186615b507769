import { redis } from "@/app/_lib/redis";
import { listStreamsResponse } from "@/app/_lib/streams/http";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";

export const dynamic = "force-dynamic";

export function GET(): Promise<Response> {
  return listStreamsResponse(new RedisStreamStore(redis()));
}
