import type { Schedule } from "@upstash/qstash";
import type { Metadata } from "next";
import type { ScheduleChange } from "overtime";
import { type DesiredSchedule, desiredSchedules, planSchedules, type SchedulePlan } from "overtime";
import { formatInZone, nextFireTimes } from "overtime/dashboard";
import { applySyncAction, pauseScheduleAction, resumeScheduleAction } from "@/app/_actions/schedules";
import { ConfigurationProblem, EmptyState, PageHeader } from "@/app/_components/states";
import { scheduleContext } from "@/app/_lib/qstash";
import { loadOvertime } from "@/app/_lib/server";

export const metadata: Metadata = { title: "Schedules · Overtime" };
export const dynamic = "force-dynamic";

type Loaded = { plan: SchedulePlan } | { problem: string };

async function loadPlan(): Promise<Loaded> {
  const loaded = loadOvertime();
  if (!loaded.ok) throw loaded.problem;
  try {
    const { qstash, scope, deliveryHeaders } = scheduleContext();
    const desired = desiredSchedules(loaded.overtime.registry.list(), scope, { deliveryHeaders });
    return { plan: planSchedules(desired, await qstash.schedules.list(), scope) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

export default async function SchedulesPage() {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const result = await loadPlan();
  return (
    <section>
      <PageHeader title="Schedules" />
      {"problem" in result ? (
        <p className="notice bad" role="alert">
          Could not compare schedules with QStash: {result.problem}
        </p>
      ) : (
        <PlanView plan={result.plan} />
      )}
    </section>
  );
}

function PlanView({ plan }: { plan: SchedulePlan }) {
  const declared = [
    ...plan.unchanged.map(({ desired, current }) => ({ desired, current, changes: [] as ScheduleChange[] })),
    ...plan.update,
    ...plan.create.map((desired) => ({ desired, current: undefined, changes: [] as ScheduleChange[] })),
  ].sort((a, b) => a.desired.scheduleId.localeCompare(b.desired.scheduleId));
  const pending = plan.create.length + plan.update.length + plan.delete.length;
  return (
    <>
      <p className="lead">
        Declared in <code>workflows/</code> on the left, what QStash has on the right, for environment{" "}
        <strong>{plan.scope.environment}</strong> at <code>{plan.scope.baseUrl}</code>.
      </p>
      <div className="card sync-summary">
        <p>
          {pending === 0 ? (
            <>QStash matches the declarations.</>
          ) : (
            <>
              Sync would create <strong>{plan.create.length}</strong>, update{" "}
              <strong>{plan.update.length}</strong> and delete <strong>{plan.delete.length}</strong> schedule
              {pending === 1 ? "" : "s"}.
            </>
          )}
        </p>
        {pending > 0 && (
          <form action={applySyncAction}>
            <button type="submit" className="primary">
              Apply sync
            </button>
          </form>
        )}
      </div>
      {declared.length === 0 && plan.delete.length === 0 ? (
        <EmptyState title="No schedules declared.">
          <p>
            Add <code>schedules: [&#123; id, cron, timezone, input &#125;]</code> to a workflow definition,
            then sync.
          </p>
        </EmptyState>
      ) : (
        <>
          <h2 className="section-title">Declared schedules</h2>
          <ul className="schedule-list">
            {declared.map(({ desired, current, changes }) => (
              <DeclaredRow key={desired.scheduleId} desired={desired} current={current} changes={changes} />
            ))}
            {plan.delete.map((schedule) => (
              <QStashOnlyRow
                key={schedule.scheduleId}
                schedule={schedule}
                why="No longer declared: sync deletes it."
              />
            ))}
          </ul>
        </>
      )}
      {(plan.external.length > 0 || plan.foreign.length > 0) && (
        <>
          <h2 className="section-title">Other schedules in this QStash account (never touched)</h2>
          <ul className="schedule-list">
            {plan.foreign.map((schedule) => (
              <QStashOnlyRow
                key={schedule.scheduleId}
                schedule={schedule}
                why="Another environment or URL."
              />
            ))}
            {plan.external.map((schedule) => (
              <QStashOnlyRow key={schedule.scheduleId} schedule={schedule} why="Not made by Overtime." />
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function DeclaredRow(props: { desired: DesiredSchedule; current?: Schedule; changes: ScheduleChange[] }) {
  const { desired, current, changes } = props;
  return (
    <li className="card schedule" data-schedule={desired.scheduleId}>
      <div className="schedule-side">
        <h3>
          {desired.workflow} · {desired.declaredId}
        </h3>
        <CronAndNext cron={desired.request.cron} />
      </div>
      <div className="schedule-side">
        <h3>QStash</h3>
        {!current ? (
          <p className="warn">Missing: sync creates it.</p>
        ) : (
          <>
            <p>
              {current.isPaused ? (
                <span className="warn">Paused</span>
              ) : changes.length === 0 ? (
                "In sync"
              ) : (
                "Differs"
              )}{" "}
              <span className="muted small mono">{current.scheduleId}</span>
            </p>
            {changes.length > 0 && <ChangeList changes={changes} />}
            <PauseToggle schedule={current} />
          </>
        )}
      </div>
    </li>
  );
}

function QStashOnlyRow({ schedule, why }: { schedule: Schedule; why: string }) {
  return (
    <li className="card schedule" data-schedule={schedule.scheduleId}>
      <div className="schedule-side">
        <h3 className="muted">Not declared</h3>
        <p className="muted small">{why}</p>
      </div>
      <div className="schedule-side">
        <h3 className="mono small">{schedule.scheduleId}</h3>
        <CronAndNext cron={schedule.cron} />
        <p className="muted small">→ {schedule.destination}</p>
        <PauseToggle schedule={schedule} />
      </div>
    </li>
  );
}

function CronAndNext({ cron }: { cron: string }) {
  let fire: ReturnType<typeof nextFireTimes>;
  try {
    fire = nextFireTimes(cron);
  } catch (error) {
    return (
      <p className="error">
        Cron {cron} does not parse: {String(error)}
      </p>
    );
  }
  return (
    <>
      <p>
        <code>{fire.expression}</code> <span className="muted small">({fire.timezone})</span>
      </p>
      <ol className="fire-times" aria-label="Next five fire times">
        {fire.times.map((time) => (
          <li key={time.toISOString()}>
            <time dateTime={time.toISOString()}>{formatInZone(time, fire.timezone)}</time>
          </li>
        ))}
      </ol>
    </>
  );
}

function ChangeList({ changes }: { changes: ScheduleChange[] }) {
  return (
    <ul className="changes">
      {changes.map((change) => (
        <li key={change.field}>
          <strong>{change.field}</strong>: <code>{JSON.stringify(change.from)}</code> →{" "}
          <code>{JSON.stringify(change.to)}</code>
        </li>
      ))}
    </ul>
  );
}

function PauseToggle({ schedule }: { schedule: Schedule }) {
  const action = schedule.isPaused ? resumeScheduleAction : pauseScheduleAction;
  return (
    <form action={action.bind(null, schedule.scheduleId)}>
      <button type="submit">{schedule.isPaused ? "Resume" : "Pause"}</button>
    </form>
  );
}
