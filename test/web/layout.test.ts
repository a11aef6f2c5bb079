/**
 * The layout a practice manager meets, asserted by geometry and the DOM at each width: the data
 * panel never lies over a field and stays in reach; the sidebar stays on screen in a long editor;
 * template descriptions are whole sentences, shown whole; every field label is words, never a
 * raw key; a field with fixed choices is a plain list, with no "{ }" toggle.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Locator } from "playwright-core";
import type { Stack } from "../server/harness.ts";
import { browserSkip } from "../support/browser.ts";
import { openBrowserStack, signedInPage, WIDTHS } from "./stack.ts";

const skip = browserSkip();
const WRITE = { "x-cliniko-flow": "1" };

/** Steps of every family (Cliniko, apps, built-ins): a long editor, and a sample of their forms. */
const SAMPLE_STEPS = [
  "create_medical_alert",
  "update_patient",
  "create_individual_appointment",
  "email.send",
  "sms.send",
  "slack.post_message",
  "hubspot.upsert_contact",
  "mailchimp.upsert_member",
  "sheets.append_row",
  "http.request",
  "filter",
];

/** A camelCase or snake_case key: `allowInvalidCertificate`, `patient_id`. */
const KEY = /^[a-z][a-z0-9]*(?:[A-Z][A-Za-z0-9]*|_[a-z0-9]+)+$/;

/** Every label in `scope` as it reads (without the required mark), with the name of its field. */
function labelsIn(scope: Locator): Promise<{ text: string; name: string }[]> {
  return scope.evaluate((root) =>
    [...root.querySelectorAll("label")].map((label) => {
      const copy = label.cloneNode(true) as HTMLElement;
      for (const mark of copy.querySelectorAll(".req")) mark.remove();
      const field = label.htmlFor ? document.getElementById(label.htmlFor) : label.querySelector("input");
      return { text: (copy.textContent ?? "").trim(), name: field?.getAttribute("name") ?? "" };
    }),
  );
}

async function assertWordsOnly(scope: Locator, where: string): Promise<number> {
  const labels = await labelsIn(scope);
  for (const { text, name } of labels) {
    assert.doesNotMatch(text, KEY, `${where}: the label "${text}" is a raw key`);
    if (name) assert.notEqual(text, name, `${where}: the label of ${name} is its key`);
  }
  assert.equal(await scope.getByRole("button", { name: "{ }", exact: true }).count(), 0, `${where}: a "{ }" toggle`);
  return labels.length;
}

/** Opens every "Show N optional fields" in `scope`. */
async function showAllFields(scope: Locator): Promise<void> {
  const more = scope.getByRole("button", { name: /^Show \d+ optional fields$/ });
  while ((await more.count()) > 0) await more.first().click();
}

describe("layout in Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let cookie: string;
  let longEditor: string;

  before(async () => {
    ({ stack, browser } = await openBrowserStack({ engine: true }));
    cookie = await stack.login();
    await stack.connectSandbox(cookie, "clinic");
    const definition = {
      name: "A long editor",
      trigger: { key: "before_appointment", connection: "clinic", options: { before: "24h" } },
      steps: SAMPLE_STEPS.map((action, i) => ({ id: `s${i + 1}`, action, input: {} })),
    };
    const created = await stack.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
    assert.equal(created.status, 201, created.text);
    longEditor = (created.json as { id: string }).id;
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const width of WIDTHS) {
    test(`${width} px: the data panel never covers a field and stays in reach; the sidebar stays on screen`, async () => {
      const page = await signedInPage(browser, stack.url, width);
      await page.goto(`${stack.url}/#/workflows/${longEditor}`);
      await page.getByRole("region", { name: `Step ${SAMPLE_STEPS.length}: s${SAMPLE_STEPS.length}` }).waitFor();
      await showAllFields(page.locator("main"));
      const panel = page.getByRole("complementary", { name: "Data from earlier steps" });
      await panel.waitFor();

      const height = page.viewportSize()!.height;
      const total = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(total > height * 3, `a long editor (${total}px)`);
      let checked = 0;
      for (let y = 0; y < total; y += Math.round(height / 2)) {
        await page.evaluate((top) => window.scrollTo(0, top), y);
        const seen = await page.evaluate(() => {
          const box = document.querySelector("aside.data-picker")!.getBoundingClientRect();
          const covered: string[] = [];
          let fields = 0;
          for (const el of document.querySelectorAll("main input, main select, main textarea")) {
            const r = el.getBoundingClientRect();
            if (el.closest("aside") || r.width === 0 || r.bottom < 0 || r.top > window.innerHeight) continue;
            fields++;
            if (r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top)
              covered.push(el.getAttribute("name") ?? el.id);
          }
          const nav = document.querySelector("nav[aria-label=Main] a")!.getBoundingClientRect();
          const editorTop = document.querySelector(".editor")!.getBoundingClientRect().top;
          const shown = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
          return { covered, fields, editorTop, shown, panel: box.height, navTop: nav.top, navBottom: nav.bottom };
        });
        assert.deepEqual(seen.covered, [], `at ${y}px the data panel covers fields`);
        checked += seen.fields;
        // Sticky: once the steps fill the screen, the panel is on screen wherever they are scrolled to.
        if (seen.editorTop < 0)
          assert.ok(seen.shown >= Math.min(seen.panel, height / 2) - 1, `at ${y}px the panel is off screen`);
        if (width >= 900)
          assert.ok(seen.navTop >= 0 && seen.navBottom <= height, `at ${y}px the sidebar's menu scrolled away`);
      }
      assert.ok(checked > 50, `${checked} field positions checked`);

      // Put away, the panel gives its width back to the steps.
      const stepWidth = async () => (await page.getByRole("region", { name: "Step 1: s1" }).boundingBox())!.width;
      const open = await stepWidth();
      await panel.getByRole("button", { name: "Hide" }).click();
      assert.ok((await stepWidth()) > open + 50, "hiding the panel widens the steps");
      await panel.getByRole("button", { name: "Show data" }).click();
      await page.close();
    });
  }

  test("768 px: template descriptions are whole sentences, shown whole, with the notes a click away", async () => {
    const page = await signedInPage(browser, stack.url, 768);
    const templates = (await stack.call("GET", "/api/templates", { cookie })).json as {
      title: string;
      description: string;
      notes: string;
    }[];
    assert.ok(templates.length >= 10);
    const gallery = page.getByRole("region", { name: "Templates" });
    for (const t of templates) {
      const card = gallery.getByRole("article", { name: t.title, exact: true });
      assert.match(t.description, /[.!?]$/, `${t.title}: the description ends a sentence`);
      const text = card.getByText(t.description, { exact: true });
      await text.waitFor();
      const clipped = await text.evaluate(
        (el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1,
      );
      assert.equal(clipped, false, `${t.title}: the description is cut`);
      if (t.notes && t.notes !== t.description) {
        await card.getByText("How it works").click();
        await card.getByText(t.notes, { exact: true }).waitFor();
      }
    }
    await page.close();
  });

  test("1280 px: labels are words and fixed choices have no '{ }' toggle, across connection kinds and actions", async () => {
    const page = await signedInPage(browser, stack.url, 1280);
    await page.getByRole("link", { name: "Connections" }).click();
    const kind = page.getByLabel("Kind");
    const kinds = await kind.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(kinds.length >= 7, `${kinds.length} connection kinds`);
    const add = page.getByRole("region", { name: "Add a connection" });
    for (const k of kinds) {
      await kind.selectOption(k);
      await showAllFields(add);
      const n = await assertWordsOnly(add, `connection kind ${k}`);
      assert.ok(n >= 2, `${k}: ${n} labels`);
    }

    await page.goto(`${stack.url}/#/workflows/${longEditor}`);
    const trigger = page.getByRole("region", { name: "When this happens" });
    await trigger.locator('[name="before"]').waitFor();
    await showAllFields(trigger);
    await assertWordsOnly(trigger, "before_appointment's options");
    for (const [i, action] of SAMPLE_STEPS.entries()) {
      const step = page.getByRole("region", { name: `Step ${i + 1}: s${i + 1}` });
      await showAllFields(step);
      assert.ok((await assertWordsOnly(step, action)) >= 2, `${action} has a form`);
    }
    await page.close();
  });
});
