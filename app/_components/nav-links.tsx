"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Runs" },
  { href: "/trigger", label: "Trigger" },
  { href: "/schedules", label: "Schedules" },
  { href: "/budgets", label: "Budgets" },
  { href: "/jeeves", label: "Jeeves" },
];

export function NavLinks() {
  const pathname = usePathname();
  const active = (href: string) =>
    href === "/" ? pathname === "/" || pathname.startsWith("/runs") : pathname.startsWith(href);
  return (
    <nav className="nav" aria-label="Dashboard">
      {LINKS.map((link) => (
        <Link key={link.href} href={link.href} aria-current={active(link.href) ? "page" : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}
