/**
 * The did-not-arrive journey at each width: found by "no show", built by clicking (the patient
 * looked up from the data panel's patient_id, then an SMS through a Twilio connection), switched
 * on; a no-show marked in the sandbox sends one text to the patient's mobile (a local Twilio fake).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { FakeVendor } from "../apps/fake-vendor.ts";
import { TWILIO_SID, TWILIO_TOKEN, twilioFake } from "../apps/fakes.ts";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { addStep, openBrowserStack, screenshot, signedInPage, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };
type Phone = { phone_type: string; normalized_number: string | null };

describe("did not arrive → SMS in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let twilio: FakeVendor;

  before(async () => {
    ({ stack, browser } = await openBrowserStack({ engine: true }));
    twilio = await twilioFake();
    const cookie = await stack.login();
    await stack.connectSandbox(cookie, "clinic");
    const sms = await stack.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: {
        name: "sms",
        kind: "twilio",
        baseUrl: twilio.url,
        settings: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: "+61400000000" },
      },
    });
    assert.equal(sms.status, 201, sms.text);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await twilio?.close();
  });

  for (const width of WIDTHS) {
    test(`${width} px: "no show" → find the patient → text them; a no-show sends one SMS`, async (t) => {
      const page = await signedInPage(browser, stack.url, width);
      t.after(async () => {
        if (t.passed === false) await screenshot(page, `failure-sms-${width}`).catch(() => {});
      });
      const name = `Missed you ${width}`;
      await page.goto(`${stack.url}/#/workflows/new`);
      await page.getByLabel("Workflow name").fill(name);
      await page.getByLabel("Trigger", { exact: true }).fill("no show");
      await page.getByRole("button", { name: "Appointment Marked Did Not Arrive", exact: true }).click();
      await page.getByLabel("Check Cliniko every").selectOption("30s");

      await addStep(page, "find patient", "Find Patient");
      const find = page.getByRole("region", { name: /^Step 1: / });
      await find.getByRole("button", { name: /^Show \d+ optional fields$/ }).click();
      const id = find.locator('[name="id"]');
      await id.click();
      await page.locator('button[title="Insert {{ trigger.patient_id }}"]').click();
      assert.equal(await id.inputValue(), "{{ trigger.patient_id }}");
      const stepId = (await find.getAttribute("aria-label"))!.replace(/^Step 1: /, "");

      await addStep(page, "sms", "Send an SMS text message");
      const sms = page.getByRole("region", { name: /^Step 2: / });
      await sms.getByLabel("Connection").selectOption("sms");
      await sms
        .locator('[name="to"]')
        .fill(`{{ steps.${stepId}.patient_phone_numbers[phone_type = "Mobile"][0].normalized_number }}`);
      await sms
        .locator('[name="body"]')
        .fill(`Sorry we missed you, {{ steps.${stepId}.first_name }}. Call us to rebook.`);
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();
      const workflowId = decodeURIComponent(page.url().split("#/workflows/")[1]!);

      // A no-show a few seconds after activation, for a patient with a mobile number.
      stack.sandbox.control.clock({ advanceSeconds: 5 });
      const patients = stack.sandbox.store.rows("patients");
      const mobileOf = (patientId: unknown) =>
        ((patients.find((p) => p.id === patientId)?.patient_phone_numbers ?? []) as Phone[]).find(
          (n) => n.phone_type === "Mobile",
        )?.normalized_number;
      const appt = stack.sandbox.store
        .rows("individual_appointments")
        .find((a) => a.cancelled_at == null && a.archived_at == null && !a.did_not_arrive && mobileOf(a.patient_id))!;
      const texts = () => twilio.calls.filter((c) => c.path.endsWith("/Messages.json"));
      const before = texts().length;
      stack.sandbox.control.update("individual_appointments", String(appt.id), { did_not_arrive: true });

      await page.getByRole("link", { name: "Run history" }).click();
      const row = page
        .getByRole("row")
        .filter({ hasText: name })
        .filter({ hasText: /succeeded|failed/ });
      await row.first().waitFor({ timeout: 30_000 });
      const runs = await stack.store.runs.list({ workflowId: Number(workflowId) });
      const ended = runs.find((r) => r.status === "failed" || r.status === "succeeded");
      assert.equal(ended?.status, "succeeded", ended?.error ?? "");
      const sent = texts().slice(before);
      assert.equal(sent.length, 1, "one text per no-show");
      const body = sent[0]!.body as { To: string; Body: string };
      assert.equal(body.To, mobileOf(appt.patient_id));
      assert.match(body.Body, /^Sorry we missed you, \w+\. Call us to rebook\.$/);
      // Switched off again: the next width's no-show is its own workflow's alone.
      const off = await stack.call("POST", `/api/workflows/${workflowId}/disable`, {
        cookie: await stack.login(),
        headers: WRITE,
        body: {},
      });
      assert.equal(off.status, 200, off.text);
      await page.close();
    });
  }
});
