import { Redis } from "@upstash/redis";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "@/lib/runs/store";
import { DASHBOARD_TOKEN, type Dashboard, screenshotPath, startDashboard, TRIGGER_SECRET } from "./harness";

let dashboard: Dashboard;
let page: Page;

beforeAll(async () => {
  dashboard = await startDashboard();
  ({ page } = await dashboard.signedIn());
});

afterAll(async () => {
  await dashboard?.stop();
});

const runIdFromUrl = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");

async function triggerFromForm(name: string): Promise<string> {
  await page.goto("/trigger?workflow=hello");
  await page.fill("#field-name", name);
  await Promise.all([page.waitForURL(/\/runs\/wfr_/), page.click('main button[type="submit"]')]);
  return runIdFromUrl(page.url());
}

async function stepRow(name: string) {
  const row = page.locator(`li[data-step="${name}"]`);
  await row.waitFor({ timeout: 20_000 });
  return row;
}

describe("access in production mode", () => {
  it("answers 401 without credentials, on a page and on the API, with no run data", async () => {
    const pageResponse = await fetch(`${dashboard.url}/`, { redirect: "manual" });
    expect(pageResponse.status).toBe(401);
    expect(await pageResponse.text()).not.toContain("wfr_");
    const api = await fetch(`${dashboard.url}/api/runs`);
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: expect.objectContaining({ code: "unauthorized" }) });
    const bearer = await fetch(`${dashboard.url}/api/runs`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });

  it("sends a browser without a session to the sign-in page", async () => {
    const context = await dashboard.browser.newContext();
    const anonymous = await context.newPage();
    const response = await anonymous.goto(`${dashboard.url}/trigger`);
    expect(response?.status()).toBe(401);
    await anonymous.waitForURL(/\/login\?next=%2Ftrigger/);
    await anonymous.screenshot({ path: screenshotPath("login"), fullPage: true });
    await context.close();
  });

  it("refuses a state-changing request from another site even with a session cookie", async () => {
    const cookies = await page.context().cookies();
    const session = cookies.find((cookie) => cookie.name === "overtime_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    const response = await fetch(`${dashboard.url}/trigger`, {
      method: "POST",
      headers: {
        cookie: `overtime_session=${session?.value}`,
        origin: "https://evil.example",
        "next-action": "x",
      },
    });
    expect(response.status).toBe(403);
  });

  it("keeps the trigger route on its own secret", async () => {
    const response = await fetch(`${dashboard.url}/api/trigger/hello`, {
      method: "POST",
      headers: { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "webhook" }),
    });
    expect(response.status).toBe(202);
  });
});

describe("trigger, watch, inspect", () => {
  it("shows inline validation errors from the input schema", async () => {
    await page.goto("/trigger?workflow=hello");
    await page.click('main button[type="submit"]');
    await expect.poll(() => page.locator(".field-error").first().textContent()).toMatch(/required|at least/i);
    await page.screenshot({ path: screenshotPath("trigger-invalid"), fullPage: true });
  });

  it("starts a run from the form, then watches its steps appear live and finish", async () => {
    const runId = await triggerFromForm("Ada");
    expect(runId).toMatch(/^wfr_/);
    await stepRow("greet");
    await stepRow("note-time");
    const sleep = await stepRow("wait-a-minute");
    await expect.poll(() => sleep.locator(".step-kind").textContent(), { timeout: 20_000 }).toBe("sleeping");
    await expect.poll(() => page.locator(".page-header .badge").textContent()).toBe("Sleeping");
    await page.screenshot({ path: screenshotPath("run-sleeping"), fullPage: true });

    await dashboard.advanceClock(61_000);
    await stepRow("farewell");
    await expect
      .poll(() => page.locator(".page-header .badge").textContent(), { timeout: 30_000 })
      .toBe("Succeeded");
    await expect.poll(() => page.locator(".log").textContent()).toContain("greeting Ada");
  });

  it("opens a step's output on demand", async () => {
    const greet = await stepRow("greet");
    await greet.locator(".step-toggle").click();
    const detail = page.locator('[data-step-detail="greet"] pre.json');
    await expect.poll(() => detail.textContent(), { timeout: 15_000 }).toContain("Hello, Ada!");
    await page.screenshot({ path: screenshotPath("run-succeeded"), fullPage: true });
  });

  it("cancels a sleeping run", async () => {
    await triggerFromForm("Grace");
    const sleep = await stepRow("wait-a-minute");
    await expect.poll(() => sleep.locator(".step-kind").textContent(), { timeout: 20_000 }).toBe("sleeping");
    await page.click("text=Cancel run");
    await page.click("text=Yes, cancel this run");
    await expect
      .poll(() => page.locator(".page-header .badge").textContent(), { timeout: 15_000 })
      .toBe("Canceled");
    await page.locator("text=Restart").waitFor();
    await page.screenshot({ path: screenshotPath("run-canceled"), fullPage: true });
  });

  it("lists runs newest first, filters them and shows status changes live", async () => {
    await page.goto("/");
    const rows = page.locator("table.runs tbody tr");
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    await page.locator(".live-note").waitFor();
    await page.screenshot({ path: screenshotPath("runs"), fullPage: true });

    const response = await fetch(`${dashboard.url}/api/trigger/hello`, {
      method: "POST",
      headers: { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Live" }),
    });
    const { runId } = (await response.json()) as { runId: string };
    const liveRow = page.locator(`tr[data-run-id="${runId}"]`);
    await liveRow.waitFor({ timeout: 10_000 });
    expect(await rows.first().getAttribute("data-run-id")).toBe(runId);
    await expect.poll(() => liveRow.locator(".badge").textContent(), { timeout: 20_000 }).toBe("Sleeping");

    await page.selectOption('select[name="status"]', "canceled");
    await page.waitForURL(/status=canceled/);
    await expect.poll(() => rows.count()).toBe(1);
    await page.screenshot({ path: screenshotPath("runs-filtered"), fullPage: true });
  });

  it("renders every page on a phone", async () => {
    const { context, page: phone } = await dashboard.signedIn({ width: 390, height: 844 });
    for (const [name, path] of [
      ["phone-runs", "/"],
      ["phone-trigger", "/trigger"],
      ["phone-status", "/status"],
    ]) {
      await phone.goto(path as string);
      await phone.screenshot({ path: screenshotPath(name as string), fullPage: true });
    }
    await phone.goto("/");
    await phone.click("table.runs tbody tr a");
    await phone.waitForURL(/\/runs\//);
    await phone.locator("li[data-step]").first().waitFor();
    await phone.screenshot({ path: screenshotPath("phone-run"), fullPage: true });
    await context.close();
  });

  it("compares declared schedules with QStash, syncs, pauses and resumes", async () => {
    await page.goto("/schedules");
    const daily = page.locator("li.schedule", { hasText: "hello · daily" });
    await expect.poll(() => daily.textContent()).toContain("Missing: sync creates it.");
    expect(await daily.locator(".fire-times li").count()).toBe(5);
    await page.screenshot({ path: screenshotPath("schedules-before-sync"), fullPage: true });
    await page.click("text=Apply sync");
    await expect.poll(() => daily.textContent(), { timeout: 15_000 }).toContain("In sync");
    await daily.locator("button", { hasText: "Pause" }).click();
    await expect.poll(() => daily.textContent(), { timeout: 15_000 }).toContain("Paused");
    await page.screenshot({ path: screenshotPath("schedules"), fullPage: true });
    await daily.locator("button", { hasText: "Resume" }).click();
    await expect.poll(() => daily.textContent(), { timeout: 15_000 }).toContain("In sync");
  });

  it("pages through 10,000 runs by cursor", async () => {
    const store = new RunStore({
      redis: new Redis({
        url: dashboard.dev.env.UPSTASH_REDIS_REST_URL,
        token: dashboard.dev.env.UPSTASH_REDIS_REST_TOKEN,
      }),
    });
    // Creation times one second apart, like a busy day's runs, not thousands in one millisecond.
    const start = Date.now() - 10_000 * 1_000;
    for (let batch = 0; batch < 10; batch++) {
      const ops = Array.from({ length: 1_000 }, (_, i) => {
        const n = batch * 1_000 + i;
        return store.updateRun(`wfr_bulk-${n}`, "bulk", {
          status: n % 7 === 0 ? "failed" : "succeeded",
          setOnce: { createdAt: start + n * 1_000 },
        });
      });
      await store.apply(ops);
    }
    await page.goto("/?workflow=bulk");
    const rows = page.locator("table.runs tbody tr");
    const seen = new Set<string>();
    for (let pageNumber = 0; pageNumber < 4; pageNumber++) {
      await expect.poll(() => rows.count()).toBe(25);
      for (const id of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run-id")))) {
        seen.add(String(id));
      }
      const firstBefore = await rows.first().getAttribute("data-run-id");
      await page.click("a[rel=next]");
      await expect.poll(() => rows.first().getAttribute("data-run-id")).not.toBe(firstBefore);
    }
    expect(seen.size).toBe(100);
    await page.screenshot({ path: screenshotPath("runs-deep-page"), fullPage: true });
  });

  it("renders the other pages", async () => {
    for (const name of ["status", "budgets", "jeeves"]) {
      const response = await page.goto(`/${name}`);
      expect(response?.status()).toBe(200);
      await page.screenshot({ path: screenshotPath(name), fullPage: true });
    }
  });
});
