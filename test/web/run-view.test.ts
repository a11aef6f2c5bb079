/**
 * What a practice manager reads about runs, in Chromium: a run a filter stopped shows "filtered"
 * (in the run list, its own view and the workflows list) and offers no replay "from the failed
 * step"; a failed run's error shows once, as a sentence, with the JSON folded under "Details"; and
 * a refused switch-on shows one banner listing the fields, not a second one counting them.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, signIn } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };

describe("runs and refusals in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let server: Server;
  let cookie: string;
  const runs: Record<"filtered" | "failed", string> = { filtered: "", failed: "" };

  before(async () => {
    ({ stack, browser, page } = await openBrowserStack({ engine: true }));
    // The front desk's chat refuses what it is sent, saying why in JSON.
    server = createServer((_req, res) => {
      res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ error: "channel_archived" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cookie = await stack.login();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
    const definition = {
      name: "Website form",
      trigger: { key: "webhook" },
      steps: [
        { id: "has_email", action: "filter", input: { condition: "{{ trigger.body.email != null }}" } },
        { id: "tell", action: "http.request", input: { method: "POST", url, json: { text: "new enquiry" } } },
      ],
    };
    const created = await stack.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition, enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    const { path } = (await stack.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string };
    for (const [kind, body] of [
      ["failed", { email: "jo@example.com" }],
      ["filtered", { name: "no email" }],
    ] as const) {
      const posted = await stack.call("POST", path, { body });
      runs[kind] = (posted.json as { runId: string }).runId;
      for (let i = 0; i < 200 && !(await stack.store.runs.find(Number(runs[kind])))?.finishedAt; i++)
        await new Promise((r) => setTimeout(r, 50));
    }
    await signIn(page, stack.url);
  });
  after(async () => {
    server?.close();
    await browser?.close();
    await stack?.stop();
  });

  test("a run a filter stopped says filtered, offers no replay from a failed step, and is no failure in the list", async () => {
    await page.goto(`${stack.url}/#/runs?status=filtered`);
    const rows = page.locator("tbody tr");
    await rows.first().locator(".badge.filtered").waitFor();
    assert.equal(await rows.count(), 1);
    assert.equal(await page.getByLabel("Status").inputValue(), "filtered");

    await page.goto(`${stack.url}/#/runs/${runs.filtered}`);
    await page.locator(".page-head .badge.filtered").waitFor();
    await page.getByRole("button", { name: "Replay from start" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Replay from failed step" }).count(), 0);

    await page.getByRole("link", { name: "Workflows" }).click();
    const row = page.getByRole("row").filter({ hasText: "Website form" });
    await row.getByRole("link", { name: /filtered/ }).waitFor();
    await row.getByText("1 of 2 runs failed").waitFor();
  });

  test("a failed run's error shows once, as a sentence, with the answer folded under Details", async () => {
    await page.goto(`${stack.url}/#/runs/${runs.failed}`);
    const error = page.locator(".notice.error");
    await error.first().waitFor();
    assert.equal(await error.count(), 1, "one banner: the step's, not the run's repeating it");
    // The banner's own sentence: its first text, before the folded details.
    const text = await error.first().evaluate((n) => n.childNodes[0]?.textContent ?? "");
    assert.match(
      text,
      /^Step tell \(http\.request\) failed: POST http:\/\/127\.0\.0\.1:\d+\/chat answered HTTP 422\.$/,
    );
    await error.getByText("Details").click();
    await error
      .getByLabel("Error details")
      .getByText(/"error": "channel_archived"/)
      .waitFor();
  });

  test("a refused switch-on shows one banner that lists the fields by step number", async () => {
    const definition = {
      name: "Half done",
      trigger: { key: "webhook" },
      steps: [{ id: "tell", action: "http.request", input: { method: "POST", url: "" } }],
    };
    const created = await stack.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
    assert.equal(created.status, 201, created.text);
    await page.goto(`${stack.url}/#/workflows/${(created.json as { id: string }).id}`);
    // Before any click, the count of what is left to fix.
    const problems = page.getByRole("status", { name: "Problems" });
    await problems.waitFor();
    await page.getByRole("button", { name: "Save and activate" }).click();
    await page.getByRole("alert").getByText("Step 1 · URL is required").waitFor();
    await problems.waitFor({ state: "detached" });
    assert.equal(await page.getByText(/to fix/).count(), 1, "one banner says what to fix");
  });
});
