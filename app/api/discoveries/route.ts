import { listDiscoveriesResponse } from "@/app/_lib/discoveries-http";
import { redis } from "@/app/_lib/redis";

export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return listDiscoveriesResponse(request, redis());
}
