/**
 * An app connection in a real browser against the real stack: add an SMTP connection through the
 * form generated from its kind's schema (the password a password input, never shown again), test
 * it, build "new patient → send an email" from the palette, test the step (a real in-test SMTP
 * server receives it), activate, create a patient in the sandbox and see the run and its email.
 * At each width of WIDTHS.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { startSmtpServer } from "../apps/smtp-server.ts";
import { PASSWORD, type Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, screenshot, startNewPatientWorkflow, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WORKFLOW = "Welcome email for new patients";
const SMTP_PASSWORD = "s3cret-smtp-pass-77";

for (const width of WIDTHS) {
  describe(`app connections in Chromium at ${width} px`, { skip }, () => {
    let stack: Stack;
    let browser: Browser;
    let page: Page;
    let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
    const shot = (name: string) => screenshot(page, `${name}-${width}`);

    before(async () => {
      smtp = await startSmtpServer(SMTP_PASSWORD);
      ({ stack, browser, page } = await openBrowserStack({ engine: true }, width));
    });
    after(async () => {
      await browser?.close();
      await stack?.stop();
      await smtp?.close();
    });

    test("add SMTP in the UI, build new patient → send email, test it, activate, see the run", async (t) => {
      t.after(async () => {
        if (t.passed === false) await shot("failure-apps").catch(() => {});
      });
      await page.goto(stack.url);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("link", { name: "Connections" }).click();
      await page.getByRole("heading", { name: "No connection yet" }).waitFor();

      // Cliniko (the sandbox), for the trigger.
      await page.getByLabel("Name").fill("default");
      await page.getByLabel("API key").fill(stack.sandbox.apiKey);
      await page.getByLabel("Your email").fill("manager@clinic.test");
      await page.getByText("Advanced: custom base URL").click();
      await page.getByLabel("Base URL").fill(stack.sandbox.baseUrl);
      await page.getByRole("button", { name: "Save connection" }).click();
      await page.getByRole("article", { name: "Connection default" }).waitFor();

      // SMTP, through the form generated from the kind's schema.
      await page.getByLabel("Kind").selectOption({ label: "Email (SMTP)" });
      const form = page.getByRole("form", { name: "New Email (SMTP) connection" });
      await form.getByLabel("Name").fill("mail");
      await form.locator('[name="host"]').fill("127.0.0.1");
      await form.locator('[name="port"]').fill(String(smtp.port));
      await form.locator('[name="from"]').fill("Harbour Physio <reception@harbour.test>");
      // The security choice is in sight, not behind "optional fields": its default is a decision.
      assert.equal(await form.locator('[name="tls"]').inputValue(), "");
      await form.getByText("— default: starttls —").first().waitFor({ state: "attached" });
      await form.getByRole("button", { name: /^Show \d+ optional fields$/ }).click();
      await form.locator('[name="user"]').fill("clinic");
      const password = form.locator('[name="password"]');
      assert.equal(await password.getAttribute("type"), "password");
      await password.fill(SMTP_PASSWORD);
      await form.locator('[name="allowInvalidCertificate"]').selectOption("true");
      await form.getByRole("button", { name: "Save connection" }).click();

      const card = page.getByRole("article", { name: "Connection mail" });
      await card.getByText(`Email (SMTP) · 127.0.0.1:${smtp.port} as Harbour Physio`).waitFor();
      await card.getByRole("button", { name: "Test" }).click();
      await card.getByRole("status").filter({ hasText: "accepted the login" }).waitFor();
      // The form is empty again, and the password is nowhere on the page or in any response.
      assert.equal(await form.getByLabel("Name").inputValue(), "");
      assert.equal(await form.locator('[name="password"]').count(), 0);
      assert.equal(await page.getByText(SMTP_PASSWORD).count(), 0);
      assert.equal((await page.content()).includes(SMTP_PASSWORD), false);
      assert.ok(!stack.bodies.some((b) => b.includes(SMTP_PASSWORD)));
      await shot("20-app-connections");

      // Editable: the password left blank keeps the stored one, so the login still works.
      await card.getByRole("button", { name: "Edit" }).click();
      const edit = card.getByRole("form", { name: "Edit connection mail" });
      assert.equal(await edit.locator('[name="host"]').inputValue(), "127.0.0.1");
      await edit.locator('[name="from"]').fill("Harbour Physio Reception <reception@harbour.test>");
      await edit.getByRole("button", { name: "Save changes" }).click();
      await card.getByText(/as Harbour Physio Reception/).waitFor();
      await card.getByRole("button", { name: "Test" }).click();
      await card.getByRole("status").filter({ hasText: "accepted the login" }).waitFor();

      // Editor: new patient → send an email, picked from the palette.
      await startNewPatientWorkflow(page, WORKFLOW);

      await page.getByRole("button", { name: "+ Add a step" }).click();
      await page.getByLabel("Add a step").fill("send an email");
      await page.getByRole("button", { name: "Send an email", exact: true }).click();
      const step = page.getByRole("region", { name: /^Step 1/ });
      await step.getByLabel("Connection").selectOption("mail");
      await step.locator('[name="to"]').fill("{{ trigger.first_name }}@patients.test");
      await step.locator('[name="subject"]').fill("Welcome, {{ trigger.first_name }}");
      await step.getByRole("button", { name: /^Show \d+ optional fields$/ }).click();
      await step.locator('[name="text"]').fill("Hi {{ trigger.first_name }}, see you soon.");
      await step.getByRole("button", { name: "Test this step" }).click();
      await step.getByRole("region", { name: /^Test output of / }).waitFor();
      assert.match((await step.getByRole("region", { name: /^Test output of / }).textContent()) ?? "", /messageId/);
      assert.equal(smtp.received.length, 1, "the step's test sent one email");
      assert.match(smtp.received[0]!.raw, /^Subject: Welcome, \w+/m);
      await shot("21-app-editor");
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();

      // A new patient in the sandbox fires the workflow; the email reaches the SMTP server.
      const res = await fetch(`${stack.sandbox.baseUrl}/patients`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${stack.sandbox.apiKey}:`).toString("base64")}`,
          "user-agent": "cliniko-flow e2e (e2e@clinic.test)",
          "content-type": "application/json",
          accept: "application/json",
        },
        body: JSON.stringify({ first_name: "Ada", last_name: "Lovelace" }),
      });
      assert.equal(res.status, 201);
      await page.getByRole("link", { name: "Run history" }).click();
      const row = page.getByRole("row").filter({ hasText: WORKFLOW }).filter({ hasText: "succeeded" });
      await row.first().waitFor({ timeout: 30_000 });
      await row.first().getByRole("link", { name: WORKFLOW }).click();
      await page.getByRole("region", { name: /^Output of / }).waitFor();
      await shot("22-app-run");
      const sent = smtp.received.find((m) => m.to.includes("Ada@patients.test"));
      assert.ok(sent, `no email to Ada among ${smtp.received.map((m) => m.to.join(",")).join("; ")}`);
      assert.match(sent.raw, /^Subject: Welcome, Ada/m);
      assert.match(sent.raw, /Hi Ada, see you soon\./);
    });
  });
}
