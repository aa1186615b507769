import type { Turn } from "./conversation";

const DEFAULT_CAPACITY = 5_000;

/**
 * The output items the dev model has produced, by id. The AI SDK sends earlier assistant messages
 * back as `{ type: "item_reference", id }` (the Responses API's `store: true` default), so they are
 * remembered here; the oldest are forgotten first once `capacity` is reached.
 */
export class ItemStore {
  private readonly items = new Map<string, Turn>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  remember(id: string, turn: Turn): void {
    this.items.delete(id);
    this.items.set(id, turn);
    for (const oldest of this.items.keys()) {
      if (this.items.size <= this.capacity) break;
      this.items.delete(oldest);
    }
  }

  recall(id: string): Turn | undefined {
    return this.items.get(id);
  }
}
