export * from "./analysis";
export * from "./config";
export * from "./discoveries";
export { agentTools } from "./tools";
