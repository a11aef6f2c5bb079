/**
 * Every value a workflow can hold round-trips through the editor: each example and template
 * (examples/*.yaml) is opened, its fields show the stored values (a JSON body as JSON, "Check
 * Cliniko every" as stored), and saving it untouched stores a byte-identical definition. At each
 * width of WIDTHS (a second import of a template is named "… (2)").
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { listTemplates } from "../../src/engine/templates.ts";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, signedInPage, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };

type Step = { id: string; input?: Record<string, unknown>; steps?: Step[]; cases?: { steps: Step[] }[]; else?: Step[] };
type Definition = { trigger: { every?: string; key: string }; steps: Step[] };

/** The text a field shows for a stored value. */
const shown = (v: unknown) =>
  typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v, null, 2) : String(v);

describe("round-trip through the editor in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let cookie: string;

  before(async () => {
    ({ stack, browser, page } = await openBrowserStack({ engine: true }));
    cookie = await stack.login();
    await stack.connectSandbox(cookie, "clinic");
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const width of WIDTHS) {
    test(`${width} px: every example and template: shown as stored, saved untouched byte-identical`, async () => {
      await page.close();
      page = await signedInPage(browser, stack.url, width);
      const templates = listTemplates();
      assert.ok(templates.length >= 10);
      for (const t of templates) {
        const imported = await stack.call("POST", `/api/templates/${t.name}/import`, {
          cookie,
          headers: WRITE,
          body: { connection: "clinic" },
        });
        assert.equal(imported.status, 201, imported.text);
        const before = imported.json as { id: string; version: number; definition: Definition };
        await page.goto(`${stack.url}/#/workflows/${before.id}`);
        await page.getByRole("heading", { name: t.title }).waitFor();

        if (before.definition.trigger.every)
          assert.equal(
            await page.getByLabel("Check Cliniko every").inputValue(),
            before.definition.trigger.every,
            t.name,
          );
        for (const [i, step] of before.definition.steps.entries()) {
          const card = page.getByRole("region", { name: `Step ${i + 1}: ${step.id}`, exact: true });
          for (const [name, value] of Object.entries(step.input ?? {})) {
            const field = card.locator(`[name="${name}"]`).first();
            if (typeof value === "boolean" || (await field.evaluate((el) => el.tagName)) === "SELECT")
              assert.equal(await field.inputValue(), String(value), `${t.name}: ${step.id}.${name}`);
            else assert.equal(await field.inputValue(), shown(value), `${t.name}: ${step.id}.${name}`);
          }
        }

        await page.getByRole("button", { name: "Save", exact: true }).click();
        await page
          .getByRole("status")
          .getByText(/^Saved as version/)
          .waitFor();
        const after = (await stack.call("GET", `/api/workflows/${before.id}`, { cookie })).json as typeof before;
        assert.equal(JSON.stringify(after.definition), JSON.stringify(before.definition), `${t.name} round-trips`);
        assert.equal(after.version, before.version, `${t.name}: saving untouched stores no new version`);
      }
    });
  }
});
