import { redis } from "@/lib/redis";
import { listStreamsResponse } from "@/lib/streams/http";
import { RedisStreamStore } from "@/lib/streams/redis-store";

export const dynamic = "force-dynamic";

export function GET(): Promise<Response> {
  return listStreamsResponse(new RedisStreamStore(redis()));
}
