/** What every browser suite starts from: a UI built from the current sources, a stack, a page. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
import { DEFAULT_WEB_ROOT } from "../../src/server/app.ts";
import { PASSWORD, type Stack, startStack } from "../server/harness.ts";
import { launchBrowser } from "../support/browser.ts";

/** Where the suites' screenshots go. */
export const OUT = join(import.meta.dirname, "../../test-output/e2e");

/**
 * The widths every newcomer journey runs at: a tablet (the top bar, the data panel a narrow
 * column) and a desktop (the sidebar). Suites loop over this list rather than copy a test.
 */
export const WIDTHS = [768, 1280] as const;

/** A screen `width` px wide, as tall as such a screen usually is. */
export const viewportFor = (width: number) => ({ width, height: width < 1000 ? 1024 : 860 });

/** A fresh page `width` px wide. */
export async function openPage(browser: Browser, width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: viewportFor(width) });
  page.setDefaultTimeout(15_000);
  return page;
}

/** A page `width` px wide, signed in to the stack. */
export async function signedInPage(browser: Browser, url: string, width: number): Promise<Page> {
  const page = await openPage(browser, width);
  await signIn(page, url);
  return page;
}

/** Newest modification time under a folder (the UI's sources). */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/**
 * The UI is built by `npm install`/`npm run build`; build it here when a checkout has not yet, or
 * when its sources changed since (otherwise the test would drive yesterday's UI).
 */
export function ensureUiBuilt(): void {
  const index = join(DEFAULT_WEB_ROOT, "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(import.meta.dirname, "../../web/src"))) return;
  const vite = join(import.meta.dirname, "../../node_modules/vite/bin/vite.js");
  const res = spawnSync(process.execPath, [vite, "build", "web", "--logLevel", "error"], {
    cwd: join(import.meta.dirname, "../.."),
    stdio: "inherit",
  });
  assert.equal(res.status, 0, "vite build web failed");
}

/**
 * Where the documentation's screenshots are. With SCREENSHOTS=1 a suite's `screenshot(…, docsName)`
 * refreshes them from the run, so they are never made by hand and can be made again.
 */
const DOCS_IMAGES = join(import.meta.dirname, "../../docs/images");

/**
 * A full-page screenshot into test-output/e2e, and into docs/images as `docsName` under
 * SCREENSHOTS=1. The screen is made as tall as the page for it, so what sticks to the screen (the
 * sidebar, the data panel) is drawn where a reader expects it, not wherever the test had scrolled.
 */
export async function screenshot(page: Page, name: string, docsName?: string): Promise<void> {
  const path = join(OUT, `${name}.png`);
  const screen = page.viewportSize()!;
  // Scrolled to the top, inner panels too (a click in the data panel scrolls it).
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    for (const el of document.querySelectorAll("main *")) if (el.scrollTop > 0) el.scrollTop = 0;
  });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: screen.width, height: Math.max(height, screen.height) });
  await page.screenshot({ path });
  await page.setViewportSize(screen);
  if (docsName && process.env.SCREENSHOTS === "1") copyFileSync(path, join(DOCS_IMAGES, `${docsName}.png`));
}

/** A built UI, a running stack and a page `width` px wide on it: what every suite here starts from. */
export async function openBrowserStack(
  options: Parameters<typeof startStack>[0],
  width = 1280,
): Promise<{
  stack: Stack;
  browser: Browser;
  page: Page;
}> {
  ensureUiBuilt();
  mkdirSync(OUT, { recursive: true });
  const stack = await startStack(options);
  const browser = await launchBrowser();
  return { stack, browser, page: await openPage(browser, width) };
}

/** A suite's stack and browser, set once its `before` has run (read them inside tests). */
export interface BrowserSuite {
  stack: Stack;
  browser: Browser;
  /** The admin's session cookie, for API calls that set a suite up. */
  cookie: string;
}

/**
 * Starts a stack with the engine and a browser before the describe's tests and stops them after;
 * signed in, and the sandbox connected as `connect` when given.
 */
export function useBrowserStack(options: { connect?: string } = {}): BrowserSuite {
  const suite = {} as BrowserSuite;
  before(async () => {
    ({ stack: suite.stack, browser: suite.browser } = await openBrowserStack({ engine: true }));
    suite.cookie = await suite.stack.login();
    if (options.connect) await suite.stack.connectSandbox(suite.cookie, options.connect);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.stack?.stop();
  });
  return suite;
}

/** Signs in with the stack's admin password and waits for the navigation. */
export async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Workflows" }).waitFor();
}

/**
 * From the workflow list, a new workflow called `name` on the New Patient trigger (polled every
 * 30 s), once the editor has fetched the trigger's latest real record to test with.
 */
export async function startNewPatientWorkflow(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("button", { name: "Build your first workflow" }).click();
  await page.getByLabel("Workflow name").fill(name);
  await page.getByLabel("Trigger", { exact: true }).fill("new patient");
  await page.getByRole("button", { name: "New Patient", exact: true }).click();
  await page.getByLabel("Check Cliniko every").selectOption("30s");
  // The trigger's newest record is fetched by itself.
  await page.getByText(/Testing with the latest real record from Cliniko/).waitFor();
}

/**
 * Adds a step to the list in `scope` (the workflow's, or with `label` a case's or a loop's):
 * opens the picker, searches `search`, picks the action titled `title`.
 */
export async function addStep(
  scope: Page | Locator,
  search: string,
  title: string | RegExp,
  label = "Add a step",
): Promise<void> {
  await scope.getByRole("button", { name: `+ ${label}`, exact: true }).click();
  await scope.getByLabel(label, { exact: true }).fill(search);
  await scope.getByRole("button", { name: title, exact: typeof title === "string" }).click();
}
