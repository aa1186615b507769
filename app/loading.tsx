export default function Loading() {
  return (
    <section aria-busy="true" aria-label="Loading">
      <div className="skeleton title" />
      <div className="skeleton block" />
      <div className="skeleton row" />
      <div className="skeleton row" />
      <div className="skeleton row" />
    </section>
  );
}
