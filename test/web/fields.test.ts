/**
 * Typing is never lost: each long text field (a medical alert's Name, an email's Cc, Html and
 * Text, an SMS body) is a text area before the first key, stays the same element, and keeps all
 * 300 characters typed into it key by key. Searching clinic words finds the clinic's triggers first.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { addStep, openBrowserStack, signedInPage, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const TEXT = "Ring the patient before the end of the day; confirm the address, phone and next visit. "
  .repeat(4)
  .slice(0, 300);

describe("editor fields in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ({ stack, browser, page } = await openBrowserStack({ engine: true }));
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Types TEXT key by key into a field and checks it kept every character in one element. */
  async function typeLong(field: Locator): Promise<void> {
    assert.equal(await field.evaluate((el) => el.tagName), "TEXTAREA", "a long field is a text area from the start");
    await field.evaluate((el) => el.setAttribute("data-typed-into", "1"));
    await field.click();
    await field.pressSequentially(TEXT);
    assert.equal(await field.getAttribute("data-typed-into"), "1", "the field is the same element after typing");
    assert.equal((await field.inputValue()).length, 300);
    assert.equal(await field.inputValue(), TEXT);
  }

  async function addStepCard(search: string, title: string, n: number): Promise<Locator> {
    await addStep(page, search, title);
    return page.getByRole("region", { name: new RegExp(`^Step ${n}:`) });
  }

  for (const width of WIDTHS) {
    test(`${width} px: 300 characters typed into Name, Cc, Html, Text and SMS body are all kept`, async () => {
      await page.close();
      page = await signedInPage(browser, stack.url, width);
      await page.goto(`${stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(`Long fields ${width}`);
      await page.getByLabel("Trigger", { exact: true }).fill("new patient");
      await page.getByRole("button", { name: "New Patient", exact: true }).click();

      const alert = await addStepCard("alert", "Create Medical Alert", 1);
      await typeLong(alert.locator('[name="name"]'));

      const email = await addStepCard("send an email", "Send an email", 2);
      await email.getByRole("button", { name: /^Show \d+ optional fields$/ }).click();
      for (const name of ["cc", "html", "text"]) await typeLong(email.locator(`[name="${name}"]`));

      const sms = await addStepCard("sms", "Send an SMS text message", 3);
      await typeLong(sms.locator('[name="body"]'));

      // Run data kept unless switched off: the toggle is the definition's metadataOnly.
      const keep = page.getByLabel(/Keep run data/);
      assert.equal(await keep.isChecked(), true);
      await keep.uncheck();

      // Nothing was lost on the way into the definition either.
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page
        .getByRole("status")
        .getByText(/Saved as version 1/)
        .or(page.getByRole("alert"))
        .first()
        .waitFor();
      const alerts = await page.getByRole("alert").allTextContents();
      assert.deepEqual(alerts, [], "saving raised no error");
      const id = decodeURIComponent(page.url().split("#/workflows/")[1]!);
      const cookie = await stack.login();
      const res = await stack.call("GET", `/api/workflows/${encodeURIComponent(id)}`, { cookie });
      const definition = (
        res.json as { definition: { metadataOnly?: boolean; steps: { input: Record<string, unknown> }[] } }
      ).definition;
      assert.equal(definition.metadataOnly, true);
      const steps = definition.steps;
      assert.equal(steps[0]!.input.name, TEXT);
      for (const name of ["cc", "html", "text"]) assert.equal(steps[1]!.input[name], TEXT);
      assert.equal(steps[2]!.input.body, TEXT);
    });
  }
});
