import { describe } from "vitest";
import { MemoryStreamStore } from "@/app/_lib/streams/memory-store";
import { storeContract } from "./store-contract";

describe("MemoryStreamStore", () => {
  storeContract(() => new MemoryStreamStore());
});
