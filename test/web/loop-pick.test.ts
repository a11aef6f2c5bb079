/**
 * Two editor parts a newcomer meets without typing ids, at each width: a loop's body (an `each`
 * step over a list step's records; steps added inside it; the data panel offers `item.*` from the
 * list's sample) and the `x-pick-from` pickers (a reminder kept to one practitioner, picked by
 * name; the saved value is the practitioner's id).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { browserSkip } from "../support/browser.ts";
import { addStep, signedInPage, useBrowserStack, WIDTHS } from "./stack.ts";

const skip = browserSkip();

type Step = { id: string; action: string; input?: Record<string, unknown>; steps?: Step[] };
type Definition = { trigger: { options?: Record<string, unknown> }; steps: Step[] };

describe("loop body and record pickers in Chromium", { skip }, () => {
  const s = useBrowserStack({ connect: "clinic" });

  /** Saves the open editor and reads back what was stored. */
  async function saveAndRead(page: Page): Promise<Definition> {
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const saved = page.getByRole("status").getByText(/^Saved as version 1/);
    await saved.or(page.getByRole("alert")).first().waitFor();
    assert.deepEqual(await page.getByRole("alert").allTextContents(), [], "saving raised no error");
    const id = decodeURIComponent(page.url().split("#/workflows/")[1]!);
    const res = await s.stack.call("GET", `/api/workflows/${encodeURIComponent(id)}`, { cookie: s.cookie });
    return (res.json as { definition: Definition }).definition;
  }

  for (const width of WIDTHS) {
    test(`${width} px: steps added inside a loop, the data panel offering item.* from the list's sample`, async () => {
      const page = await signedInPage(s.browser, s.stack.url, width);
      await page.goto(`${s.stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(`Note each practitioner ${width}`);
      await page.getByLabel("Trigger", { exact: true }).fill("new patient");
      await page.getByRole("button", { name: "New Patient", exact: true }).click();

      await addStep(page, "list practitioners", "List Practitioners");
      await addStep(page, "for each", "For each item of a list");
      const loop = page.getByRole("region", { name: /^Step 2: / });
      await loop.locator('[name="items"]').fill("{{ steps.practitioners.records }}");

      await addStep(loop, "alert", "Create Medical Alert", "Add a step to each item");
      const inner = loop.getByRole("region", { name: "Step 1: medical_alert" });
      const name = inner.locator('[name="name"]');
      await name.click();
      // Inside the loop the panel offers the current item, shaped like the list's first record.
      const panel = page.getByRole("complementary", { name: "Data from earlier steps" });
      await panel.locator('button[title="Insert {{ index }}"]').waitFor();
      await panel.locator('button[title="Insert {{ item.first_name }}"]').click();
      assert.equal(await name.inputValue(), "{{ item.first_name }}");
      // Outside it, no item: a top-level field's data has none.
      await page
        .getByRole("region", { name: "Step 1: practitioners", exact: true })
        .getByLabel(/^Only run if/)
        .click();
      await panel.locator('button[title="Insert {{ index }}"]').waitFor({ state: "detached" });

      const saved = await saveAndRead(page);
      assert.equal(saved.steps[1]!.action, "each");
      assert.deepEqual(saved.steps[1]!.input, { items: "{{ steps.practitioners.records }}" });
      assert.equal(saved.steps[1]!.steps![0]!.action, "create_medical_alert");
      assert.equal(saved.steps[1]!.steps![0]!.input!.name, "{{ item.first_name }}");
      await page.close();
    });

    test(`${width} px: a reminder kept to one practitioner, picked by name, saves the practitioner's id`, async () => {
      const practitioner = s.stack.sandbox.store.rows("practitioners")[0]!;
      const page = await signedInPage(s.browser, s.stack.url, width);
      await page.goto(`${s.stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(`Reminder for one practitioner ${width}`);
      await page.getByLabel("Trigger", { exact: true }).fill("reminder");
      await page.getByRole("button", { name: "Before Appointment (Reminder)", exact: true }).click();
      const trigger = page.getByRole("region", { name: "When this happens" });
      await trigger.locator('[name="before"]').fill("24h");
      await trigger.getByRole("button", { name: /^Show \d+ optional fields$/ }).click();
      const picker = trigger.getByRole("group", { name: "Practitioners" });
      // Offered by name: the id is nowhere a person has to type it.
      await picker
        .getByLabel(new RegExp(String(practitioner.last_name)))
        .first()
        .check();
      await addStep(page, "filter", /^Filter/);

      const saved = await saveAndRead(page);
      assert.deepEqual(saved.trigger.options?.practitioners, [String(practitioner.id)]);
      assert.equal(saved.trigger.options?.before, "24h");
      await page.close();
    });
  }
});
