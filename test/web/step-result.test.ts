/**
 * The editor's step-test card shows what an error's sentence leaves out folded under "Details", as
 * the run view does: a required field that renders empty names its path there.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { browserSkip } from "../support/browser.ts";
import { signedInPage, useBrowserStack } from "./stack.ts";

const skip = browserSkip();

describe("a step test's error details in Chromium", { skip }, () => {
  const s = useBrowserStack();

  test("an empty URL is said in one sentence, its field under Details", async () => {
    const name = "Forward sign-ups";
    const definition = {
      name,
      trigger: { key: "webhook" },
      steps: [{ id: "forward", action: "http.request", input: { url: "{{ trigger.body.nothing }}" } }],
    };
    const created = await s.stack.call("POST", "/api/workflows", {
      cookie: s.cookie,
      headers: { "x-cliniko-flow": "1" },
      body: { definition },
    });
    assert.equal(created.status, 201, created.text);
    const page = await signedInPage(s.browser, s.stack.url, 1280);
    await page.goto(`${s.stack.url}/#/workflows/${(created.json as { id: string }).id}`);
    await page.getByRole("heading", { name }).waitFor();
    const step = page.getByRole("region", { name: /^Step 1/ });
    await step.getByRole("button", { name: "Test this step" }).click();
    const error = step.locator(".notice.error");
    await error.getByText(/URL is empty: \{\{ trigger\.body\.nothing \}\} gave nothing\./).waitFor();
    await error.getByText("Details", { exact: true }).click();
    assert.match((await error.getByRole("region", { name: "Error details" }).textContent()) ?? "", /input\.url/);
    await page.close();
  });
});
