/**
 * Step names of an agent. They are the run's replay identity, so they depend only on the agent's
 * name, the turn number and what earlier (recorded) steps returned: never on time or randomness.
 */
export function stepNames(agent: string) {
  const turn = (n: number) => `${agent}:turn-${n}`;
  return {
    turn: (n: number, attempt: number) => (attempt === 1 ? turn(n) : `${turn(n)}:attempt-${attempt}`),
    rateLimitWait: (n: number, attempt: number) => `${turn(n)}:rate-limited-${attempt}`,
    reserve: (n: number, attempt: number) => `${turn(n)}:reserve-${attempt}`,
    budgetWait: (n: number, attempt: number) => `${turn(n)}:budget-wait-${attempt}`,
    reconcile: (n: number, attempt = 1) =>
      attempt === 1 ? `${turn(n)}:reconcile` : `${turn(n)}:reconcile-${attempt}`,
    tool: (n: number, toolName: string, index: number) => `${turn(n)}:${toolName}-${index}`,
    approvalRequest: (n: number, toolName: string, index: number) =>
      `${turn(n)}:approval-${toolName}-${index}`,
    approvalWait: (n: number, toolName: string, index: number) => `${turn(n)}:await-${toolName}-${index}`,
  };
}

export type StepNames = ReturnType<typeof stepNames>;

/** Agent names become part of step names and event ids: keep them plain. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
