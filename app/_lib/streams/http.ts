import { createStreamTools } from "./analysis/tools";
import type { StreamStore } from "./types";

/** `GET /api/streams`: every stream with its unit, source, point count and ISO time span. */
export async function listStreamsResponse(store: StreamStore): Promise<Response> {
  return Response.json({ streams: await createStreamTools(store).listStreams.execute({}) });
}
