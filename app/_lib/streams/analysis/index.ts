export * from "./anomalies";
export * from "./correlation";
export * from "./errors";
export * from "./patterns";
export * from "./stats";
export * from "./tools";
export * from "./trend";
