import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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

const badge = () => page.locator(".page-header .badge").textContent();

async function triggerByApi(workflow: string, input: unknown): Promise<string> {
  const response = await fetch(`${dashboard.url}/api/trigger/${workflow}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

/** A request header carrying the session cookie of a browser context. */
function mainSession(cookies: Array<{ name: string; value: string }>): Record<string, string> {
  const session = cookies.find((cookie) => cookie.name === "overtime_session");
  return { cookie: `overtime_session=${session?.value}` };
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

  it("sets the session cookie Secure in production, with no x-forwarded-proto from a proxy", async () => {
    const session = (await page.context().cookies()).find((cookie) => cookie.name === "overtime_session");
    expect(session?.secure).toBe(true);
  });

  it("ends a session on the server when signing out: a copied cookie stops working", async () => {
    const { context, page: own } = await dashboard.signedIn();
    const cookie = (await context.cookies()).find((entry) => entry.name === "overtime_session");
    const withCopy = () =>
      fetch(`${dashboard.url}/api/runs`, { headers: { cookie: `overtime_session=${cookie?.value}` } });
    expect((await withCopy()).status).toBe(200);
    await Promise.all([
      own.waitForURL(/\/login/),
      own.getByRole("button", { name: "Sign out", exact: true }).click(),
    ]);
    expect((await withCopy()).status).toBe(401);
    expect(
      (await fetch(`${dashboard.url}/api/runs`, { headers: mainSession(await page.context().cookies()) }))
        .status,
    ).toBe(200);
    await context.close();
  });

  it("signs out everywhere: every session ends, a new sign-in works", async () => {
    const { context, page: other } = await dashboard.signedIn();
    const before = mainSession(await page.context().cookies());
    await Promise.all([
      other.waitForURL(/\/login/),
      other.getByRole("button", { name: "Sign out everywhere" }).click(),
    ]);
    expect((await fetch(`${dashboard.url}/api/runs`, { headers: before })).status).toBe(401);
    await context.close();
    await page.context().close();
    ({ page } = await dashboard.signedIn()); // the later tests' session
    expect(
      (await fetch(`${dashboard.url}/api/runs`, { headers: mainSession(await page.context().cookies()) }))
        .status,
    ).toBe(200);
  });

  it("keeps the trigger route on its own secret", async () => {
    const response = await fetch(`${dashboard.url}/api/trigger/hello`, {
      method: "POST",
      headers: { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "webhook" }),
    });
    expect(response.status).toBe(202);
  });

  it("says what to do instead: GET on a trigger URL, an unknown workflow", async () => {
    const get = await fetch(`${dashboard.url}/api/trigger/hello`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` }, // only POST skips the dashboard's own auth
    });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(((await get.json()) as { error: { message: string } }).error.message).toContain(
      "POST a JSON input",
    );
    const unknown = await fetch(`${dashboard.url}/api/trigger/nope`, {
      method: "POST",
      headers: { authorization: `Bearer ${TRIGGER_SECRET}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      "Workflows: hello",
    );
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
    const detail = page.locator('[data-step-detail="greet"] .json');
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
    const store = new RunStore({ redis: dashboard.redis });
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
    for (const name of ["status"]) {
      const response = await page.goto(`/${name}`);
      expect(response?.status()).toBe(200);
      await page.screenshot({ path: screenshotPath(name), fullPage: true });
    }
  });

  it("says so for a run that does not exist", async () => {
    // The status stays 200: the page streams behind its loading state before the run is looked up.
    await page.goto("/runs/wfr_does-not-exist");
    await page.locator("text=Run not found.").waitFor();
  });
});

describe("agents: approvals, Jeeves, budgets, tasks", () => {
  const approvalCard = () => page.locator("section.approvals li.approval").first();
  const output = () => page.locator(".columns .card").nth(1).textContent();

  it("approves a pending tool call with a note, then the run publishes and finishes", async () => {
    await page.goto("/trigger?workflow=approval");
    await page.fill("#field-announcement", "Overtime 1.2 is out");
    await Promise.all([page.waitForURL(/\/runs\/wfr_/), page.click('main button[type="submit"]')]);
    await approvalCard().waitFor({ timeout: 30_000 });
    expect(await badge()).toBe("Waiting");
    expect(await approvalCard().textContent()).toContain("publish");
    expect(await approvalCard().locator(".json").textContent()).toContain("Overtime 1.2 is out");
    await page.screenshot({ path: screenshotPath("run-approval-pending"), fullPage: true });

    await approvalCard().locator("input").fill("Checked the wording, ship it");
    await approvalCard().locator("button", { hasText: "Approve" }).click();
    await expect.poll(badge, { timeout: 30_000 }).toBe("Succeeded");
    await expect.poll(output).toContain('"outcome": "published"');
    expect(await page.locator("section.approvals").count()).toBe(0);
    expect(await page.locator('[data-decision="approved"]').textContent()).toContain(
      "Checked the wording, ship it",
    );
    await page.screenshot({ path: screenshotPath("run-approved"), fullPage: true });
  });

  it("declines a pending tool call with a note, and the agent reports nothing was published", async () => {
    const runId = await triggerByApi("approval", { announcement: "Prices double tomorrow" });
    await page.goto(`/runs/${runId}`);
    await approvalCard().waitFor({ timeout: 30_000 });
    await approvalCard().locator("input").fill("Not before the pricing review");
    await approvalCard().locator("button", { hasText: "Decline" }).click();
    await expect.poll(badge, { timeout: 30_000 }).toBe("Succeeded");
    await expect.poll(output).toContain('"outcome": "declined"');
    expect(await output()).toContain("Not before the pricing review");
    await page.screenshot({ path: screenshotPath("run-declined"), fullPage: true });
  });

  it("runs Jeeves from its page and shows the discoveries with their figures and the inbox", async () => {
    await page.goto("/jeeves");
    await page.locator(".jeeves-state").waitFor();
    expect(await page.locator(".discovery").count()).toBe(0);
    await page.screenshot({ path: screenshotPath("jeeves-empty"), fullPage: true });

    await Promise.all([page.waitForURL(/\/runs\/wfr_/), page.click("text=Run Jeeves now")]);
    await expect.poll(badge, { timeout: 60_000 }).toBe("Succeeded");
    await page.screenshot({ path: screenshotPath("run-jeeves"), fullPage: true });

    await page.goto("/jeeves");
    const statistics = page.locator('.discovery[data-kind="statistics"]', { hasText: "seattle.temp_max:" });
    // Seattle's daily maximum, 2012-2015: 1,461 days, the hottest 35.6 °C.
    expect(await statistics.locator(".figures").textContent()).toMatch(/max35\.6.*count1,461/);
    expect(await page.locator('.discovery[data-kind="correlation"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-persona="analyst"] .inbox-message').first().textContent()).toMatch(
      /Jeeves: \d+ new discoveries/,
    );
    await page.screenshot({ path: screenshotPath("jeeves"), fullPage: true });
  });

  it("turns Jeeves off and on again", async () => {
    await page.click("text=Turn off");
    await expect.poll(() => page.locator(".jeeves-state").getAttribute("data-enabled")).toBe("false");
    await page.screenshot({ path: screenshotPath("jeeves-off") });
    await page.click("text=Turn on");
    await expect.poll(() => page.locator(".jeeves-state").getAttribute("data-enabled")).toBe("true");
  });

  it("shows the budgets the agent runs used", async () => {
    await page.goto("/budgets");
    // Jeeves reserves under its own tenant, approval under the model's budget.
    for (const key of ["gpt-4o-mini:jeeves", "gpt-4o-mini"]) {
      const tokens = page.locator(`tr[data-budget="${key}"] .bucket[data-unit="tokens"]`);
      expect(Number(await tokens.getAttribute("data-used"))).toBeGreaterThan(0);
    }
    await page.locator(".live-note").waitFor();
    await page.screenshot({ path: screenshotPath("budgets"), fullPage: true });
  });

  it("lists the tasks a research run publishes, with their states", async () => {
    const source = await startSourceServer();
    try {
      const runId = await triggerByApi("research", {
        question: "What is Overtime?",
        sources: [
          { url: `${source.url}/about`, agent: "web" },
          { url: `${source.url}/gone`, agent: "web" },
        ],
        taskRetries: 0,
      });
      await page.goto(`/runs/${runId}`);
      await expect.poll(badge, { timeout: 60_000 }).toBe("Succeeded");
      const tasks = page.locator("section.tasks li.task");
      await expect.poll(() => tasks.count()).toBe(2);
      expect(await tasks.nth(0).textContent()).toMatch(/^done.*\/about.*HTTP 200/);
      expect(await tasks.nth(1).textContent()).toMatch(/^failed.*\/gone.*HTTP 404/);
      await page.screenshot({ path: screenshotPath("run-research-tasks"), fullPage: true });
      const api = await fetch(`${dashboard.url}/api/runs/${runId}`, {
        headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
      });
      expect(((await api.json()) as { tasks: unknown[] }).tasks).toMatchObject([
        { id: "task-1", state: "done" },
        { id: "task-2", state: "failed" },
      ]);
    } finally {
      await new Promise((resolve) => source.server.close(resolve));
    }
  });

  it("renders the agent pages on a phone", async () => {
    const { context, page: phone } = await dashboard.signedIn({ width: 390, height: 844 });
    for (const name of ["jeeves", "budgets"]) {
      await phone.goto(`/${name}`);
      await phone.locator("main h1").waitFor();
      await phone.screenshot({ path: screenshotPath(`phone-${name}`), fullPage: true });
    }
    const runId = await triggerByApi("approval", { announcement: "Phone check" });
    await phone.goto(`/runs/${runId}`);
    await phone.locator("section.approvals li.approval").waitFor({ timeout: 30_000 });
    await phone.screenshot({ path: screenshotPath("phone-run-approval"), fullPage: true });
    await context.close();
  });
});

/** A site for the research run to read: one page, and one that is gone. */
async function startSourceServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === "/about") {
      response.setHeader("content-type", "text/plain");
      response.end("Overtime runs long AI agent jobs on Vercel with Upstash Workflow, QStash and Redis.");
      return;
    }
    response.statusCode = 404;
    response.end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("operating runs: needs you, replay", () => {
  const dashboardAuth = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
  const runStatus = async (runId: string) => {
    const response = await fetch(`${dashboard.url}/api/runs/${encodeURIComponent(runId)}`, {
      headers: dashboardAuth,
    });
    return ((await response.json()) as { run: { status: string } }).run.status;
  };
  const needsYouCount = () => page.getByTestId("needs-you-count").textContent();

  it("counts approvals waiting for a person in the navigation, live as they are decided", async () => {
    await page.goto("/needs-you");
    await expect.poll(needsYouCount, { timeout: 10_000 }).toMatch(/^\d+ pending$/);
    const before = Number.parseInt(String(await needsYouCount()), 10);
    const runId = await triggerByApi("approval", { announcement: "Needs-you check" });
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(needsYouCount, { timeout: 10_000 }).toBe(`${before + 1} pending`);
    expect(await row.textContent()).toContain("publish");
    await page.screenshot({ path: screenshotPath("needs-you"), fullPage: true });

    await row.locator("a").click();
    await page.waitForURL(/\/runs\/wfr_/);
    const card = page.locator("section.approvals li.approval").first();
    await card.waitFor({ timeout: 30_000 });
    await card.locator("button", { hasText: "Approve" }).click();
    await expect.poll(needsYouCount, { timeout: 15_000 }).toBe(`${before} pending`);
  });

  it("replays a succeeded run with an edited input, refusing one the schema rejects", async () => {
    const runId = await triggerByApi("hello", { name: "Original" });
    await expect.poll(() => runStatus(runId), { timeout: 20_000 }).toBe("sleeping");
    await dashboard.advanceClock(61_000);
    await expect.poll(() => runStatus(runId), { timeout: 30_000 }).toBe("succeeded");

    await page.goto(`/runs/${runId}`);
    await page.click("text=Replay with edited input…");
    const editor = page.locator("#replay-input");
    expect(JSON.parse(await editor.inputValue())).toEqual({ name: "Original" });
    await editor.fill(JSON.stringify({ name: "" }));
    await page.click("text=Replay with this input");
    await expect
      .poll(() => page.locator(".action-error").textContent(), { timeout: 10_000 })
      .toContain("name");
    expect(runIdFromUrl(page.url())).toBe(runId);

    await editor.fill(JSON.stringify({ name: "Edited" }));
    await Promise.all([
      page.waitForURL((url) => runIdFromUrl(url.toString()) !== runId, { timeout: 15_000 }),
      page.click("text=Replay with this input"),
    ]);
    const replayId = runIdFromUrl(page.url());
    await page
      .locator(`a[href="/runs/${encodeURIComponent(runId)}"]`)
      .first()
      .waitFor();
    await expect.poll(() => runStatus(replayId), { timeout: 20_000 }).toBe("sleeping");
    await dashboard.advanceClock(61_000);
    await expect.poll(badge, { timeout: 30_000 }).toBe("Succeeded");
    await expect.poll(() => page.locator(".columns").textContent()).toContain("Goodbye, Edited.");
    await page.screenshot({ path: screenshotPath("run-replayed"), fullPage: true });

    await page.goto(`/runs/${runId}`);
    await page
      .locator(`a[href="/runs/${encodeURIComponent(replayId)}"]`)
      .first()
      .waitFor();
  });

  it("filters the run list by tag and source, and marks runs a schedule or replay started", async () => {
    const response = await fetch(`${dashboard.url}/api/trigger/hello`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TRIGGER_SECRET}`,
        "content-type": "application/json",
        "overtime-tags": "e2e:tagged",
      },
      body: JSON.stringify({ name: "Tagged" }),
    });
    const { runId } = (await response.json()) as { runId: string };
    await page.goto("/?tag=e2e%3Atagged");
    const rows = page.locator("table.runs tbody tr");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute("data-run-id")).toBe(runId);
    await page.goto("/?source=retry");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(await rows.first().locator('.source-badge[data-source="retry"]').count()).toBe(1);
  });
});
