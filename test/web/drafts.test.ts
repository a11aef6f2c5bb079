/**
 * A change that would break a live workflow, typed in the editor and refused on Save, is not lost:
 * the banner says it is kept as a draft, a reload shows the typed text again with a notice saying
 * the live version still runs, and Discard draft brings the live definition back. At each width.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { browserSkip } from "../support/browser.ts";
import { screenshot, signedInPage, useBrowserStack, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };
const LIVE = "{{ trigger.body.go = 1 }}";
/** A step that never ran: switching on is refused, so the change may not replace the live version. */
const TYPED = "{{ steps.nowhere.ok = true }}";

describe("drafts in Chromium", { skip }, () => {
  const s = useBrowserStack();

  const workflow = async (id: string) =>
    (await s.stack.call("GET", `/api/workflows/${id}`, { cookie: s.cookie })).json as {
      version: number;
      hasDraft: boolean;
    };

  for (const width of WIDTHS) {
    test(`${width} px: a refused change to a live workflow survives a reload as a draft; Discard restores the live one`, async () => {
      const name = `Website sign-ups ${width}`;
      const definition = {
        name,
        trigger: { key: "webhook" },
        steps: [{ id: "check", action: "filter", input: { condition: LIVE } }],
      };
      const created = await s.stack.call("POST", "/api/workflows", {
        cookie: s.cookie,
        headers: WRITE,
        body: { definition, enabled: true },
      });
      assert.equal(created.status, 201, created.text);
      const id = (created.json as { id: string }).id;

      const page: Page = await signedInPage(s.browser, s.stack.url, width);
      await page.goto(`${s.stack.url}/#/workflows/${id}`);
      await page.getByRole("heading", { name }).waitFor();
      const condition = () => page.getByRole("region", { name: /^Step 1/ }).locator('[name="condition"]');
      assert.equal(await condition().inputValue(), LIVE);
      await condition().fill(TYPED);
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page
        .getByRole("alert")
        .getByText(/cannot be switched on yet.*kept as a draft; version 1 still runs/)
        .waitFor();
      await page
        .getByTestId("draft-notice")
        .getByText(/still runs version 1/)
        .waitFor();
      const kept = await workflow(id);
      assert.deepEqual([kept.version, kept.hasDraft], [1, true], "a draft, no new version");
      await screenshot(page, `40-draft-kept-${width}`);

      // Closing the tab loses nothing: the typed text comes back, marked as a draft.
      await page.reload();
      await page.getByRole("heading", { name }).waitFor();
      await page
        .getByTestId("draft-notice")
        .getByText(/^Draft from .*not switched on; the workflow still runs version 1/)
        .waitFor();
      assert.equal(await condition().inputValue(), TYPED);
      // The list says which workflows hold a draft, and opening it from there shows the draft again.
      await page.getByRole("link", { name: "Workflows", exact: true }).click();
      const row = page.getByRole("row").filter({ hasText: name });
      await row.getByText("Draft kept: not switched on").waitFor();
      await row.getByRole("link", { name }).click();
      await page.getByTestId("draft-notice").waitFor();
      assert.equal(await condition().inputValue(), TYPED);

      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: "Discard draft" }).click();
      await page.getByTestId("draft-notice").waitFor({ state: "detached" });
      assert.equal(await condition().inputValue(), LIVE);
      const after = await workflow(id);
      assert.deepEqual([after.version, after.hasDraft], [1, false]);
      await page.close();
    });
  }
});
