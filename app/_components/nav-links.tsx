"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { usePendingApprovals } from "./pending-approvals";

const LINKS = [
  { href: "/", label: "Runs" },
  { href: "/needs-you", label: "Needs you" },
  { href: "/trigger", label: "Trigger" },
  { href: "/schedules", label: "Schedules" },
  { href: "/budgets", label: "Budgets" },
  { href: "/jeeves", label: "Jeeves" },
];

export function NavLinks() {
  const pathname = usePathname();
  // Signing in needs no navigation (and no API calls it could not make yet).
  if (pathname.startsWith("/login")) return null;
  return <Links pathname={pathname} />;
}

function Links({ pathname }: { pathname: string }) {
  const pending = usePendingApprovals();
  const active = (href: string) =>
    href === "/" ? pathname === "/" || pathname.startsWith("/runs") : pathname.startsWith(href);
  return (
    <nav className="nav" aria-label="Dashboard">
      {LINKS.map((link) => (
        <Link key={link.href} href={link.href} aria-current={active(link.href) ? "page" : undefined}>
          {link.label}
          {link.href === "/needs-you" && pending !== undefined && (
            <span className="nav-count" data-testid="needs-you-count">
              {pending.length}
              <span className="visually-hidden"> pending</span>
            </span>
          )}
        </Link>
      ))}
    </nav>
  );
}
