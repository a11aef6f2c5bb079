/**
 * A catalogue trigger's options set in the editor are saved where the engine reads them
 * (`trigger.options`), not beside the trigger's key (where a built-in trigger's cron lives and a
 * catalogue trigger's option is refused as unknown): a reminder 24 hours before an appointment.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { browserSkip } from "../support/browser.ts";
import { addStep, signedInPage, useBrowserStack, WIDTHS } from "./stack.ts";

describe("trigger options in Chromium", { skip: browserSkip() }, () => {
  const s = useBrowserStack({ connect: "clinic" });

  for (const width of WIDTHS) {
    test(`${width} px: a reminder's before is saved under trigger.options and switched on`, async () => {
      const page = await signedInPage(s.browser, s.stack.url, width);
      await page.goto(`${s.stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(`Class reminder ${width}`);
      await page.getByLabel("Trigger", { exact: true }).fill("reminder");
      await page.getByRole("button", { name: "Before Appointment (Reminder)", exact: true }).click();
      await page.locator('[name="before"]').fill("24h");
      await addStep(page, "filter", /^Filter/);
      await page
        .getByRole("region", { name: /^Step 1/ })
        .locator('[name="condition"]')
        .fill("true");
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();
      const stored = await s.stack.store.workflows.find(`Class reminder ${width}`);
      const trigger = (stored!.definition as { trigger: Record<string, unknown> }).trigger;
      assert.deepEqual(trigger.options, { before: "24h" });
      assert.equal(trigger.before, undefined);
      await page.close();
    });
  }
});
