import type { RunTask } from "overtime";

const KNOWN_STATES = new Set(["queued", "running", "done", "failed", "canceled"]);

/** The work items a workflow published for this run, with a count per state. */
export function TaskList({ tasks }: { tasks: RunTask[] }) {
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  return (
    <section className="card tasks" aria-label="Tasks">
      <div className="timeline-head">
        <h2>Tasks</h2>
        <span className="muted small">
          {[...counts].map(([state, count]) => `${count} ${state}`).join(" · ")}
        </span>
      </div>
      <ul className="task-list">
        {tasks.map((task) => (
          <li key={task.id} className="task" data-task={task.id}>
            <span className={`badge task-${KNOWN_STATES.has(task.state) ? task.state : "other"}`}>
              {task.state}
            </span>
            <div className="task-body">
              <span className="task-title">{task.title ?? task.id}</span>
              {task.detail && <span className="muted small task-detail">{task.detail}</span>}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
