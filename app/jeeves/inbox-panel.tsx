import { RelativeTime } from "@/app/_components/time";
import type { InboxMessage } from "@/app/_lib/inbox";
import type { Persona } from "@/app/_lib/jeeves";

interface PersonaInbox {
  persona: Persona;
  messages: InboxMessage[];
}

/** Each persona's in-app inbox, newest first: what Jeeves told them. */
export function InboxPanel({ inboxes, now }: { inboxes: PersonaInbox[]; now: number }) {
  return (
    <section className="card" aria-label="Notification inbox">
      <h2>Inbox</h2>
      {inboxes.length === 0 ? (
        <p className="muted">
          No personas configured: Jeeves keeps its findings here on the page and tells nobody.
        </p>
      ) : (
        inboxes.map(({ persona, messages }) => (
          <div key={persona.id} className="persona-inbox" data-persona={persona.id}>
            <h3>
              {persona.name}{" "}
              <span className="muted small">({persona.streams?.join(", ") ?? "all streams"})</span>
            </h3>
            {messages.length === 0 ? (
              <p className="muted small">No messages yet; new discoveries on these streams land here.</p>
            ) : (
              <ol className="inbox-list">
                {messages.map((message) => (
                  <li key={message.id} className="inbox-message">
                    <strong>{message.subject}</strong>{" "}
                    <span className="muted small">
                      <RelativeTime at={message.sentAt} now={now} />
                    </span>
                    {message.body && <pre>{message.body}</pre>}
                  </li>
                ))}
              </ol>
            )}
          </div>
        ))
      )}
    </section>
  );
}
