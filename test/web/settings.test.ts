/**
 * A practice manager's journey with a template that reads a setting: switching it on is refused
 * with the setting named beside the field that reads it; the Settings page lists it as needed;
 * once saved there (as a secret, never shown again) the same workflow switches on. At each width,
 * on a stack of its own (a setting once saved stays set).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, screenshot, signIn, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const HOOK = "https://hooks.example.test/services/T000/B000/front-desk-9431";

for (const width of WIDTHS) {
  describe(`settings in Chromium at ${width} px`, { skip }, () => {
    let stack: Stack;
    let browser: Browser;
    let page: Page;

    before(async () => {
      ({ stack, browser, page } = await openBrowserStack({ engine: true }, width));
      const cookie = await stack.login();
      await stack.connectSandbox(cookie, "clinic");
      await signIn(page, stack.url);
    });
    after(async () => {
      await browser?.close();
      await stack?.stop();
    });

    test("a template reading an unset setting is refused naming it, and switches on once it is saved", async () => {
      const title = "Cancelled appointment to front desk";
      await page.getByRole("link", { name: "Workflows" }).click();
      await page
        .getByRole("region", { name: "Templates" })
        .getByRole("button", { name: `Use “${title}”` })
        .click();
      await page.getByRole("heading", { name: title }).waitFor();
      const step = page.getByRole("region", { name: /^Step 1/ });
      // Marked beside the field that reads it, before any click.
      await step.getByText("The setting FLOW_FRONT_DESK_WEBHOOK_URL is not set").waitFor();
      // A change, then a switch-on that is refused: the change is not stored as a version.
      await page.getByLabel("Check Cliniko every").selectOption("5m");
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page
        .getByRole("alert")
        .getByText(/cannot be switched on yet/)
        .waitFor();
      await page.getByText("Not active").waitFor();
      const editor = page.url();
      // The refused switch-on saved nothing: the template is still at its first version.
      const id = decodeURIComponent(editor.split("#/workflows/")[1]!);
      const versions = await stack.call("GET", `/api/workflows/${encodeURIComponent(id)}/versions`, {
        cookie: await stack.login(),
      });
      assert.equal((versions.json as unknown[]).length, 1, versions.text);

      await page.getByRole("link", { name: "Settings", exact: true }).click();
      const needed = page.getByRole("status", { name: "Settings to set" });
      await needed.getByText(title).waitFor();
      await needed.getByRole("button", { name: "FLOW_FRONT_DESK_WEBHOOK_URL" }).click();
      assert.equal(await page.getByLabel(/^Name/).inputValue(), "FLOW_FRONT_DESK_WEBHOOK_URL");
      await page.getByLabel("Secret: store it encrypted").check();
      await page.getByLabel("Value").fill(HOOK);
      await page.getByRole("button", { name: "Save setting" }).click();
      await page.getByText(/Saved FLOW_FRONT_DESK_WEBHOOK_URL \(secret/).waitFor();
      const row = page.getByRole("table", { name: "Settings" }).getByRole("row").filter({ hasText: "FRONT_DESK" });
      await row.getByText("secret (set)").waitFor();
      assert.equal(await page.getByRole("status", { name: "Settings to set" }).count(), 0);
      assert.ok(!(await page.content()).includes(HOOK), "a secret is not shown again");
      assert.ok(!stack.bodies.some((b) => b.includes(HOOK)), "no response carries the secret");
      await screenshot(page, `30-settings-${width}`);

      await page.goto(editor);
      await page.getByRole("heading", { name: title }).waitFor();
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();
    });
  });
}
