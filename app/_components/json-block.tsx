/**
 * A value as indented JSON, scrollable; strings are shown as they are. The scroll container is focusable
 * and named, so a keyboard user can scroll a long value (axe: scrollable-region-focusable).
 */
export function JsonBlock({ value, label = "JSON value" }: { value: unknown; label?: string }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll container must be focusable to scroll by keyboard
    <section className="json" tabIndex={0} aria-label={label}>
      <pre>{text}</pre>
    </section>
  );
}
