export * from "./datasets";
export * from "./http";
export * from "./memory-store";
export * from "./redis-store";
export * from "./seed";
export * from "./types";
