import { describe, expect, it } from "vitest";
import { sampleMatching } from "@/dev/model/regex-sample";

describe("sampleMatching", () => {
  it.each([
    "^[A-Z]{3}-\\d{2,4}$",
    "^(?:foo|bar)+_[a-z0-9]*\\.json$",
    "^[^\\s@]+@[^\\s@]+\\.[a-z]{2,}$",
    "^(?<year>\\d{4})-(0[1-9]|1[0-2])$",
    "^\\u00e9t\\x41[\\]\\-]?z+?$",
    "ab?c{2}",
    "^[+-]?\\d+(\\.\\d+)?$",
    "^#[0-9a-fA-F]{6}$",
    "\\bword\\b",
  ])("samples a string matching /%s/", (pattern) => {
    const sample = sampleMatching(pattern);
    expect(sample).toBeDefined();
    expect(new RegExp(pattern, "u").test(sample ?? "")).toBe(true);
  });

  it.each(["^(?=.*\\d)\\w+$", "^(a)\\1$", "[", "^x{100000}$"])("gives up on /%s/", (pattern) => {
    expect(sampleMatching(pattern)).toBeUndefined();
  });

  it("is deterministic", () => {
    expect(sampleMatching("^[a-z]{4}\\d$")).toBe("aaaa0");
  });
});
