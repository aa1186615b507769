import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Overtime",
  description: "Durable, long-running AI agent jobs on Upstash Workflow",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/" className="brand">
            Overtime
          </a>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
