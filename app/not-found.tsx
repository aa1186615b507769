import Link from "next/link";
import { EmptyState } from "./_components/states";

export default function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <EmptyState title="Nothing here.">
        <p>
          That page does not exist. <Link href="/">Back to runs</Link>
        </p>
      </EmptyState>
    </section>
  );
}
