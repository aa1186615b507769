import type { Redis } from "@upstash/redis";
import { respond, ValidationError } from "overtime/next";
import { z } from "zod";
import { DiscoveryStore, discoveryKind } from "./jeeves/discoveries";

const query = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  kind: discoveryKind.optional(),
});

/** `GET /api/discoveries?limit=&kind=`: Jeeves's discoveries, newest first. */
export function listDiscoveriesResponse(request: Request, redis: Redis): Promise<Response> {
  return respond(async () => {
    const params = Object.fromEntries(new URL(request.url).searchParams);
    const parsed = query.safeParse(params);
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, "query");
    return Response.json({ discoveries: await new DiscoveryStore(redis).list(parsed.data) });
  });
}
