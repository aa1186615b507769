import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  // dev/ holds the local stand-ins; nothing under it is part of the deployed app.
  outputFileTracingExcludes: { "*": ["dev/**", "tests/**", "bench/**", ".data/**"] },
};

export default config;
