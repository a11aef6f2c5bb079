/**
 * A new user's tasks from an empty editor, at tablet width (768 px) and desktop (1280 px):
 * find the did-not-arrive trigger by "no show"; build cancellation → medical alert for that
 * patient by clicking (no typed JSONata); activation is refused while Patient is empty — the field
 * is marked with its message beside it — then fixed by clicking the data panel's patient_id, and
 * switched on; a run that failed is replayed on the current version once its step is fixed; a
 * template is used with one click and its run is seen.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { browserSkip } from "../support/browser.ts";
import { addStep, signedInPage, useBrowserStack, WIDTHS } from "./stack.ts";

const skip = browserSkip();

describe("builder journeys in Chromium", { skip }, () => {
  const s = useBrowserStack({ connect: "clinic" });

  const signedIn = (width: number): Promise<Page> => signedInPage(s.browser, s.stack.url, width);

  for (const width of WIDTHS) {
    test(`${width} px: "no show" finds the did-not-arrive trigger; cancellation → medical alert by clicking; refused until Patient is filled`, async () => {
      const page = await signedIn(width);
      const name = `Cancellation alert ${width}`;
      await page.goto(`${s.stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(name);
      const triggerSearch = page.getByLabel("Trigger", { exact: true });
      // However it is typed, the first result is the did-not-arrive trigger.
      for (const words of ["no show", "no-show", "noshow", "DNA"]) {
        await triggerSearch.fill(words);
        await page
          .locator(".picker-panel button")
          .first()
          .filter({ hasText: /^Appointment Marked Did Not Arrive$/ })
          .waitFor();
      }
      await triggerSearch.fill("cancellation");
      await page.getByRole("button", { name: "Individual Appointment Cancelled", exact: true }).click();
      // Steps are tested on the clinic's newest cancelled appointment, not on made-up data.
      await page
        .getByRole("status", { name: "Test data" })
        .getByText(/Testing with the latest real record from Cliniko \(connection “clinic”\)/)
        // A live Cliniko read behind the editor's first render: slower than a click on a busy CI core.
        .waitFor({ timeout: 45_000 });

      await addStep(page, "alert", "Create Medical Alert");
      const step = page.getByRole("region", { name: /^Step 1/ });
      await step.locator('[name="name"]').fill("Cancelled: please call");

      // Patient is empty: marked beside the field, in plain words, and activation is refused.
      const patient = step.locator('[name="patient_id"]');
      await step.locator('[name="patient_id"][aria-invalid="true"]').waitFor();
      await step.getByText("Patient is required").waitFor();
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText(/cannot be switched on yet/).waitFor();
      // Numbered as the editor shows steps, from 1, in plain words.
      await page.getByRole("alert").getByText("Step 1 · Patient is required").waitFor();

      // Fixed by clicking the data panel's patient_id (listed first), then switched on.
      await patient.click();
      await page.locator('button[title="Insert {{ trigger.patient_id }}"]').click();
      assert.equal(await patient.inputValue(), "{{ trigger.patient_id }}");
      await step.locator('[name="patient_id"][aria-invalid="true"]').waitFor({ state: "detached" });
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();

      // The data panel sits beside the steps, never over a field (test/web/layout.test.ts scrolls a long editor).
      const panel = page.getByRole("complementary", { name: "Data from earlier steps" });
      const box = (await panel.boundingBox())!;
      const field = (await patient.boundingBox())!;
      assert.ok(
        field.x + field.width <= box.x || box.x + box.width <= field.x,
        "the panel is beside the Patient field",
      );
      await panel.getByRole("button", { name: "Hide" }).click();
      await panel.getByRole("button", { name: "Show data" }).waitFor();
      await page.close();
    });
  }
  for (const width of WIDTHS) {
    test(`${width} px: a run failed on a step since fixed in the editor is replayed on the current version`, async () => {
      const live = await s.stack.call("GET", "/api/catalog/triggers/new_patient/sample?connection=clinic&live=1", {
        cookie: s.cookie,
      });
      const patient = (live.json as { sample: { id: string; first_name: string } }).sample;
      // Version 1 maps Patient to a field the event does not have (saved as a draft, as a user may).
      const broken = {
        name: `Replay after a fix ${width}`,
        trigger: { key: "new_patient", connection: "clinic", every: "1m" },
        steps: [
          {
            id: "alert",
            action: "create_medical_alert",
            connection: "clinic",
            input: { patient_id: "{{ trigger.patient_ref }}", name: "Welcome pack for {{ trigger.first_name }}" },
          },
        ],
      };
      const w = await s.stack.store.workflows.save(broken.name, broken);
      const runId = await s.stack.store.runs.enqueue({
        workflowId: w.id,
        workflowVersion: w.version,
        triggerKey: "new_patient",
        eventKey: patient.id,
        payload: patient,
      });

      const page = await signedIn(width);
      await page.goto(`${s.stack.url}/#/runs/${runId}`);
      await page.locator(".badge.failed").first().waitFor();
      // The fix, by clicking: Patient becomes the event's own id.
      await page.goto(`${s.stack.url}/#/workflows/${w.id}`);
      const field = page.getByRole("region", { name: /^Step 1/ }).locator('[name="patient_id"]');
      await field.fill("");
      await page.locator('button[title="Insert {{ trigger.id }}"]').click();
      assert.equal(await field.inputValue(), "{{ trigger.id }}");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByText("Saved as version 2.").waitFor();

      await page.goto(`${s.stack.url}/#/runs/${runId}`);
      const choice = page.getByLabel("Replay with");
      assert.equal(await choice.inputValue(), "current", "a run that failed on a fixed step replays on the fix");
      await page.getByText(/Step alert failed and has been changed since/).waitFor();
      await page.getByRole("button", { name: "Replay from failed step" }).click();
      await page.waitForURL((url) => url.hash !== `#/runs/${runId}` && url.hash.startsWith("#/runs/"));
      await page.locator(".badge.succeeded").first().waitFor({ timeout: 30_000 });
      const replayId = Number(new URL(page.url()).hash.split("/").at(-1));
      const replay = (await s.stack.store.runs.find(replayId))!;
      assert.deepEqual([replay.replayOf, replay.workflowVersion, replay.status], [runId, 2, "succeeded"]);
      await page.close();
    });
    test(`${width} px: a template is used with one click, switched on, and its run is seen`, async () => {
      const page = await signedIn(width);
      const title = "Cancelled appointment follow-up";
      const gallery = page.getByRole("region", { name: "Templates" });
      await gallery.getByRole("button", { name: `Use “${title}”` }).click();
      // Saved switched off on the first connection and opened in the editor.
      await page.getByRole("heading", { name: title }).waitFor();
      await page.getByText("Not active").waitFor();
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();

      // A cancellation a few seconds after activation (the sandbox's clock moves on).
      s.stack.sandbox.control.clock({ advanceSeconds: 5 });
      const appt = s.stack.sandbox.store
        .rows("individual_appointments")
        .find(
          (a) =>
            a.cancelled_at == null &&
            a.archived_at == null &&
            a.patient_id &&
            Date.parse(String(a.starts_at)) > Date.now(),
        )!;
      s.stack.sandbox.control.cancel("individual_appointments", String(appt.id), { cancellation_note: "Unwell" });

      await page.getByRole("link", { name: "Run history" }).click();
      const row = page.getByRole("row").filter({ hasText: title }).filter({ hasText: "succeeded" });
      await row.first().waitFor({ timeout: 30_000 });
      await row.first().getByRole("link", { name: title }).click();
      const output = page.getByRole("region", { name: "Output of flag" });
      await output.waitFor();
      assert.match((await output.textContent()) ?? "", /call to rebook/);
      await page.close();
    });
  }
});
