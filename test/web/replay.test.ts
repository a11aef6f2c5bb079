/**
 * Replays never resend by a click alone: "Replay from start" on a run whose step posted to
 * another app asks first, naming that step, and does nothing when declined; once replayed, the
 * run links to its replay.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, signedInPage, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };

describe("replay in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let server: Server;
  const posts: string[] = [];

  before(async () => {
    ({ stack, browser, page } = await openBrowserStack({ engine: true }));
    server = createServer((req, res) => {
      posts.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  after(async () => {
    server?.close();
    await browser?.close();
    await stack?.stop();
  });

  for (const width of WIDTHS) {
    test(`${width} px: replay from start of a run that posted asks first, names the step, and links the replay`, async () => {
      await page.close();
      page = await signedInPage(browser, stack.url, width);
      const sent = posts.length;
      const cookie = await stack.login();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/front-desk`;
      const definition = {
        name: `Tell the front desk ${width}`,
        trigger: { key: "webhook" },
        steps: [{ id: "tell", action: "http.request", input: { method: "POST", url, json: { text: "hello" } } }],
      };
      const created = await stack.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
      assert.equal(created.status, 201, created.text);
      const id = (created.json as { id: string }).id;
      await stack.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
      const path = ((await stack.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string })
        .path;
      const posted = await stack.call("POST", path, { body: { n: 1 } });
      const runId = (posted.json as { runId: string }).runId;
      const runs = () => stack.store.runs.list({ workflowId: Number(id) });
      for (let i = 0; i < 100 && (await runs())[0]?.status !== "succeeded"; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(posts.length, sent + 1);

      await page.goto(`${stack.url}/#/runs/${runId}`);
      const messages: string[] = [];
      page.once("dialog", (d) => {
        messages.push(d.message());
        void d.dismiss();
      });
      await page.getByRole("button", { name: "Replay from start" }).click();
      await page.waitForTimeout(300);
      assert.match(messages[0] ?? "", /will be sent again: Send an HTTP request \(tell\)\. Replay anyway\?/);
      assert.equal((await runs()).length, 1, "declined: no replay");

      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: "Replay from start" }).click();
      await page.waitForURL((u) => !u.hash.endsWith(`/runs/${runId}`));
      await page.goto(`${stack.url}/#/runs/${runId}`);
      await page
        .getByRole("status", { name: "Replays" })
        .getByRole("link", { name: /^run \d+$/ })
        .waitFor();
      assert.equal((await runs()).length, 2);

      // The workflows list shows the last run.
      await page.getByRole("link", { name: "Workflows" }).click();
      const row = page.getByRole("row").filter({ hasText: `Tell the front desk ${width}` });
      await row.getByRole("link", { name: /succeeded|running|queued/ }).waitFor();
    });
  }
});
