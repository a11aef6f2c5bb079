/**
 * The practice manager's journey in a real browser against the real stack (SQLite file, engine,
 * sandbox over HTTP): log in, connect the sandbox, build "new patient → create medical alert"
 * through the forms, test the step, activate, create a patient in the sandbox, see the run. Then
 * `npm start`'s path: with --demo, add a patient on the Demo clinic page and see the example
 * workflow's run. The journeys run at each width of WIDTHS; screenshots of each page go to
 * test-output/e2e/ (and, under SCREENSHOTS=1, the editor and the run to docs/images/).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { DEMO_WORKFLOW } from "../../src/server/demo.ts";
import { PASSWORD, type Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, screenshot, startNewPatientWorkflow, viewportFor, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WORKFLOW = "Flag new patients for intake";

for (const width of WIDTHS) {
  describe(`web UI journey in Chromium at ${width} px`, { skip }, () => {
    let stack: Stack;
    let browser: Browser;
    let page: Page;
    const shot = (name: string, docsName?: string) => screenshot(page, `${name}-${width}`, docsName);

    before(async () => {
      ({ stack, browser, page } = await openBrowserStack({ engine: true }, width));
    });
    after(async () => {
      await browser?.close();
      await stack?.stop();
    });

    test("log in, connect, build, test, activate, and watch the run", async (t) => {
      // On failure, the page as it was is the first thing to look at.
      t.after(async () => {
        if (t.passed === false) await shot("failure").catch(() => {});
      });
      await page.goto(stack.url);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
      await shot("01-login");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "No workflow yet" }).waitFor();

      // Connections: add the sandbox and test it.
      await page.getByRole("link", { name: "Connections" }).click();
      await page.getByRole("heading", { name: "No connection yet" }).waitFor();
      await page.getByLabel("Name").fill("sandbox");
      await page.getByLabel("API key").fill(stack.sandbox.apiKey);
      await page.getByLabel("Your email").fill("manager@clinic.test");
      await page.getByText("Advanced: custom base URL").click();
      // A base URL the address policy refuses is said beside its field, and nothing is saved.
      await page.getByLabel("Base URL").fill("http://169.254.169.254/v1");
      await page.getByRole("button", { name: "Save connection" }).click();
      await page.locator("#c-base-error").filter({ hasText: "cloud metadata endpoints are never allowed" }).waitFor();
      assert.equal(await page.getByLabel("Base URL").getAttribute("aria-invalid"), "true");
      await page.getByLabel("Base URL").fill(stack.sandbox.baseUrl);
      await page.getByRole("button", { name: "Save connection" }).click();
      const card = page.getByRole("article", { name: "Connection sandbox" });
      await card.getByRole("button", { name: "Test" }).click();
      await card.getByText("Connected as Sandbox Administrator").waitFor();
      assert.equal(await page.getByText(stack.sandbox.apiKey).count(), 0);
      // Without --demo there is no demo clinic to change.
      assert.equal(await page.getByRole("link", { name: "Demo clinic" }).count(), 0);
      await shot("02-connections");

      // Catalogue: search by name.
      await page.getByRole("link", { name: "Catalogue" }).click();
      await page.getByLabel("Search by name or group").fill("medical alert");
      await page.getByText(/^\d+ of \d+ shown$/).waitFor();
      await page.getByRole("button", { name: /Create Medical Alert/ }).click();
      await page.getByRole("complementary", { name: "Details" }).getByText("patient_id").first().waitFor();
      await shot("03-catalogue");

      // Editor: trigger, step, data picker, test, activate.
      await startNewPatientWorkflow(page, WORKFLOW);
      // The button fetches the latest record again.
      await page.getByRole("button", { name: "Fetch the latest record again" }).click();
      await page.getByText(/Testing with the latest real record from Cliniko/).waitFor();

      await page.getByRole("button", { name: "+ Add a step" }).click();
      await page.getByLabel("Add a step").fill("medical alert");
      await page.getByRole("button", { name: "Create Medical Alert", exact: true }).click();
      const step = page.getByRole("region", { name: /^Step 1/ });
      await step.locator('[name="patient_id"]').click();
      await page.locator('button[title="Insert {{ trigger.id }}"]').click();
      assert.equal(await step.locator('[name="patient_id"]').inputValue(), "{{ trigger.id }}");
      await step.locator('[name="name"]').fill("Intake form pending for ");
      await page.locator('button[title="Insert {{ trigger.first_name }}"]').click();
      assert.equal(
        await step.locator('[name="name"]').inputValue(),
        "Intake form pending for {{ trigger.first_name }}",
      );
      await step.getByRole("button", { name: "Test this step" }).click();
      await step.getByRole("region", { name: "Test output of medical_alert" }).waitFor();
      assert.match(
        (await step.getByRole("region", { name: "Test output of medical_alert" }).textContent()) ?? "",
        /Intake form pending for \w+/,
      );
      await shot("04-editor", width === 1280 ? "editor" : "editor-tablet");
      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();
      await page.setViewportSize({ width: 820, height: 1180 });
      await shot("05-editor-tablet");
      await page.setViewportSize(viewportFor(width));

      // A new patient in the sandbox fires the workflow.
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
      const patient = (await res.json()) as { id: string };

      await page.getByRole("link", { name: "Run history" }).click();
      const row = page.getByRole("row").filter({ hasText: WORKFLOW }).filter({ hasText: "succeeded" });
      await row.first().waitFor({ timeout: 30_000 });
      await shot("06-runs");
      await row.first().getByRole("link", { name: WORKFLOW }).click();
      const output = page.getByRole("region", { name: "Output of medical_alert" });
      await output.waitFor();
      assert.match((await output.textContent()) ?? "", /Intake form pending for Ada/);
      assert.match(
        (await page.getByRole("region", { name: "Input of medical_alert" }).textContent()) ?? "",
        new RegExp(patient.id),
      );
      await shot("07-run", width === 1280 ? "run" : undefined);

      // The alert really exists in the sandbox.
      const alerts = stack.sandbox.store
        .rows("medical_alerts")
        .filter((a) => (a as { name?: string }).name === "Intake form pending for Ada");
      assert.equal(alerts.length, 1);

      // The engine's polls show in /metrics.
      const metrics = await stack.call("GET", "/metrics", { cookie: await stack.login() });
      assert.match(metrics.text, /cliniko_flow_polls_total [1-9]/);
      assert.match(metrics.text, /cliniko_flow_runs\{status="succeeded"\} 1/);
    });

    test("filters and branches are built through the same forms", async () => {
      await page.getByRole("link", { name: "Workflows" }).click();
      await page.getByRole("button", { name: "New workflow" }).click();
      await page.getByLabel("Workflow name").fill("Route updated patients");
      await page.getByLabel("Trigger", { exact: true }).fill("updated patient");
      await page.getByRole("button", { name: "Updated Patient", exact: true }).click();

      await page.getByRole("button", { name: "+ Add a step" }).click();
      await page.getByLabel("Add a step").fill("filter");
      await page.getByRole("button", { name: /^Filter/ }).click();
      await page
        .getByRole("region", { name: "Step 1: filter" })
        .locator('[name="condition"]')
        .fill("{{ trigger.email != null }}");

      await page.getByRole("button", { name: "+ Add a step", exact: true }).click();
      await page.getByLabel("Add a step", { exact: true }).fill("branch");
      await page.getByRole("button", { name: /^Branch/ }).click();
      const branch = page.getByRole("region", { name: "Step 2: branch" });
      await branch.getByLabel("When").fill('{{ trigger.gender = "Female" }}');
      await branch.getByRole("button", { name: "+ Add a step to case 1" }).click();
      await branch.getByLabel("Add a step to case 1").fill("create medical alert");
      await branch.getByRole("button", { name: "Create Medical Alert", exact: true }).click();
      const alert = branch.getByRole("region", { name: "Step 1: medical_alert" });
      await alert.locator('[name="patient_id"]').fill("{{ trigger.id }}");
      await alert.locator('[name="name"]').fill("Check in");
      await branch.getByRole("button", { name: "+ Add a step to otherwise" }).click();
      await branch.getByLabel("Add a step to otherwise").fill("http");
      await branch.getByRole("button", { name: "Send an HTTP request" }).click();
      await branch
        .getByRole("region", { name: "Step 1: http_request" })
        .locator('[name="url"]')
        .fill("https://hooks.example/x");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByText("Saved as version 1.").waitFor();
      await shot("08-branch");

      const saved = await stack.store.workflows.get("Route updated patients");
      const steps = (saved.definition as { steps: Record<string, unknown>[] }).steps;
      assert.deepEqual(steps[0], {
        id: "filter",
        action: "filter",
        input: { condition: "{{ trigger.email != null }}" },
      });
      const cases = steps[1]!.cases as { if: string; steps: { action: string; input: unknown }[] }[];
      assert.equal(cases[0]!.if, '{{ trigger.gender = "Female" }}');
      assert.equal(cases[0]!.steps[0]!.action, "create_medical_alert");
      assert.deepEqual(cases[0]!.steps[0]!.input, { patient_id: "{{ trigger.id }}", name: "Check in" });
      const otherwise = steps[1]!.else as { action: string; input: { url: string } }[];
      assert.equal(otherwise[0]!.action, "http.request");
      assert.equal(otherwise[0]!.input.url, "https://hooks.example/x");
    });
    test("a webhook workflow: test it whole, activate, see its URL, and a POST to it runs it", async (t) => {
      t.after(async () => {
        if (t.passed === false) await shot("failure-webhook").catch(() => {});
      });
      await page.getByRole("link", { name: "Workflows", exact: true }).click();
      await page.getByRole("button", { name: "New workflow" }).click();
      await page.getByLabel("Workflow name").fill("Website enquiries");
      await page.getByLabel("Trigger", { exact: true }).fill("webhook");
      await page.getByRole("button", { name: /^Inbound webhook/ }).click();
      await page.getByText("Save the workflow to get the URL other apps post to.").waitFor();
      assert.equal(await page.getByLabel("Check Cliniko every").count(), 0);

      await page.getByRole("button", { name: "+ Add a step" }).click();
      await page.getByLabel("Add a step").fill("filter");
      await page.getByRole("button", { name: /^Filter/ }).click();
      const filter = page.getByRole("region", { name: "Step 1: filter" });
      await filter.locator('[name="condition"]').fill("{{ trigger.body.email != null }}");
      // The trigger's sample (what a POST's JSON looks like) is in the data picker.
      await page.getByRole("button", { name: "▸ body" }).click();
      await page.locator('button[title="Insert {{ trigger.body.email }}"]').waitFor();

      // The whole workflow, on the webhook's sample, without storing a run.
      await page.getByRole("button", { name: "Test workflow" }).click();
      await page.getByRole("status").filter({ hasText: "ran without error" }).waitFor();
      assert.match(
        (await filter.getByRole("region", { name: "Test output of filter" }).textContent()) ?? "",
        /"passed": true/,
      );

      await page.getByRole("button", { name: "Save and activate" }).click();
      await page.getByText("Saved and active").waitFor();
      const urlField = page.getByLabel(/^Webhook URL/);
      await page.waitForFunction(() => (document.querySelector("#webhook-url") as HTMLInputElement | null)?.value);
      const url = await urlField.inputValue();
      assert.ok(url.startsWith(`${stack.url}/hooks/whk_`), url);
      await shot("09-webhook");

      const posted = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "jo@example.com" }),
      });
      assert.equal(posted.status, 202);
      await page.getByRole("link", { name: "Run history" }).click();
      const row = page.getByRole("row").filter({ hasText: "Website enquiries" }).filter({ hasText: "succeeded" });
      await row.first().waitFor({ timeout: 20_000 });

      // On a tablet the sidebar becomes one top bar, however short the page below it.
      await page.setViewportSize({ width: 768, height: 1024 });
      const bar = await page.locator("header.sidebar").boundingBox();
      assert.ok(bar && bar.height < 120, `top bar is ${bar?.height}px tall`);
      await shot("10-runs-tablet");
      await page.setViewportSize(viewportFor(width));
    });
  });
}

describe("Demo clinic in Chromium (serve --demo)", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => screenshot(page, name);

  before(async () => {
    // As `npm start`, with the harness's 300 ms polls instead of the example workflow's 30 s.
    ({ stack, browser, page } = await openBrowserStack({ engine: true, demo: true }));
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test("add a new patient on the Demo clinic page, then see the example workflow's run", async (t) => {
    t.after(async () => {
      if (t.passed === false) await shot("failure-demo").catch(() => {});
    });
    await page.goto(stack.url);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Demo clinic" }).click();
    await page.getByRole("heading", { name: "Demo clinic", level: 1 }).waitFor();
    await page.getByText(/In the clinic now: 300 patients/).waitFor();
    await page.getByLabel(/First name/).fill("Grace");
    await page.getByLabel(/Last name/).fill("Hopper");
    await page.getByRole("button", { name: "Add a new patient" }).click();
    const status = page.getByRole("status", { name: "What changed" });
    await status.getByText("Added patient Grace Hopper.").waitFor();
    await page.getByText(/In the clinic now: 301 patients/).waitFor();
    await shot("11-demo-clinic");

    await status.getByRole("link", { name: "Run history" }).click();
    const row = page.getByRole("row").filter({ hasText: DEMO_WORKFLOW.name }).filter({ hasText: "succeeded" });
    await row.first().waitFor({ timeout: 20_000 });
    await row.first().getByRole("link", { name: DEMO_WORKFLOW.name }).click();
    const output = page.getByRole("region", { name: "Output of alert" });
    await output.waitFor();
    assert.match((await output.textContent()) ?? "", /Intake form pending for Grace/);
    await shot("12-demo-run");
  });
});
