export default function LoadingRun() {
  return (
    <section aria-busy="true">
      <p className="crumbs">Runs /</p>
      <div className="skeleton title" />
      <div className="skeleton block" />
      <div className="skeleton block" />
    </section>
  );
}
