import { OvertimeError } from "../errors";
import type { AnyWorkflow } from "./define";

export class DuplicateWorkflowError extends OvertimeError {
  static override readonly code = "duplicate_workflow";
  constructor(name: string) {
    super(
      DuplicateWorkflowError.code,
      `Two workflows are named "${name}"; workflow names must be unique in the registry.`,
    );
  }
}

export interface Registry {
  get(name: string): AnyWorkflow | undefined;
  list(): AnyWorkflow[];
  names(): string[];
}

/** What to say about a workflow name the registry does not have: the names it does have. */
export function unknownWorkflowMessage(registry: Registry, name: string): string {
  const names = registry.names();
  return `No workflow named "${name}". ${names.length > 0 ? `Workflows: ${names.join(", ")}.` : "No workflows are registered."}`;
}

/** The one list of workflows the app serves; everything else (routes, trigger, schedules) derives from it. */
export function createRegistry(definitions: readonly AnyWorkflow[]): Registry {
  const byName = new Map<string, AnyWorkflow>();
  for (const definition of definitions) {
    if (byName.has(definition.name)) throw new DuplicateWorkflowError(definition.name);
    byName.set(definition.name, definition);
  }
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    names: () => [...byName.keys()],
  };
}
