import type { VirtualClock } from "./clock";
import { badRequest, notFound } from "./errors";
import { validateDestinationUrl } from "./message";
import type { Store } from "./store";

export interface TopicEndpoint {
  url: string;
  name?: string;
}

export interface TopicRecord {
  name: string;
  createdAt: number;
  updatedAt: number;
  endpoints: TopicEndpoint[];
}

/** URL groups (called "topics" in the API): a name fanning out to several endpoints. */
export class Topics {
  constructor(
    private readonly store: Store,
    private readonly clock: VirtualClock,
  ) {}

  static validateName(name: string): void {
    if (!/^[a-zA-Z0-9\-_.]+$/.test(name)) throw badRequest(`invalid url group name: ${name}`);
  }

  async get(name: string): Promise<TopicRecord | undefined> {
    return this.store.getJson<TopicRecord>(this.store.key("topic", name));
  }

  async list(): Promise<TopicRecord[]> {
    const names = await this.store.redis.smembers(this.store.key("topics"));
    const records = await Promise.all(names.sort().map((name) => this.get(name)));
    return records.filter((r): r is TopicRecord => r !== undefined);
  }

  async addEndpoints(name: string, endpoints: TopicEndpoint[]): Promise<void> {
    Topics.validateName(name);
    if (endpoints.length === 0) throw badRequest("endpoints must not be empty");
    for (const endpoint of endpoints) validateDestinationUrl(endpoint.url, "endpoint url");
    const now = this.clock.now();
    const existing = await this.get(name);
    const record: TopicRecord = existing ?? { name, createdAt: now, updatedAt: now, endpoints: [] };
    for (const endpoint of endpoints) {
      if (record.endpoints.some((e) => e.url === endpoint.url && e.name === endpoint.name)) continue;
      record.endpoints.push(
        endpoint.name ? { url: endpoint.url, name: endpoint.name } : { url: endpoint.url },
      );
    }
    record.updatedAt = now;
    await this.store.setJson(this.store.key("topic", name), record);
    await this.store.redis.sadd(this.store.key("topics"), name);
  }

  async removeEndpoints(name: string, endpoints: { url?: string; name?: string }[]): Promise<void> {
    const record = await this.get(name);
    if (!record) throw notFound(`url group ${name} not found`);
    record.endpoints = record.endpoints.filter(
      (e) =>
        !endpoints.some(
          (r) => (r.url !== undefined && r.url === e.url) || (r.name !== undefined && r.name === e.name),
        ),
    );
    record.updatedAt = this.clock.now();
    if (record.endpoints.length === 0) await this.remove(name);
    else await this.store.setJson(this.store.key("topic", name), record);
  }

  async remove(name: string): Promise<boolean> {
    const removed = await this.store.redis.srem(this.store.key("topics"), name);
    await this.store.redis.del(this.store.key("topic", name));
    return removed === 1;
  }
}
