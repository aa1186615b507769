import { listDiscoveriesResponse } from "@/lib/http/discoveries";
import { redis } from "@/lib/redis";

export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return listDiscoveriesResponse(request, redis());
}
