import type { AgentText } from "./use-run-live";

/** What the agent wrote, turn by turn, as it streamed (replayed from the run's history when opened later). */
export function AgentTextPanel({ texts }: { texts: AgentText[] }) {
  return (
    <div className="card">
      <h2>Agent output</h2>
      <ol className="agent-texts">
        {texts.map((text) => (
          <li key={text.key}>
            <p className="muted small">
              {text.agent}, turn {text.turn}
              {text.attempt > 1 && ` (attempt ${text.attempt})`}
            </p>
            <p className="agent-text">{text.text}</p>
          </li>
        ))}
      </ol>
    </div>
  );
}
