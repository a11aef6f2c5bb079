/**
 * API tokens in the browser at each width: created (shown once), listed in the shared list table,
 * revoked (the empty state again), and the revoked token no longer opens the API.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { browserSkip } from "../support/browser.ts";
import { signedInPage, useBrowserStack, WIDTHS } from "./stack.ts";

describe("API tokens in Chromium", { skip: browserSkip() }, () => {
  const s = useBrowserStack();

  for (const width of WIDTHS) {
    test(`${width} px: a token is shown once, listed, and revoked`, async () => {
      const page = await signedInPage(s.browser, s.stack.url, width);
      await page.getByRole("link", { name: "API tokens" }).click();
      await page.getByRole("heading", { name: "No API token" }).waitFor();
      await page.getByLabel("Token name").fill(`nightly export ${width}`);
      await page.getByRole("button", { name: "Create token" }).click();
      const shown = page.getByRole("status").locator("code");
      await shown.waitFor();
      const token = (await shown.textContent()) ?? "";
      assert.equal((await s.stack.call("GET", "/api/workflows", { token })).status, 200);

      const row = page
        .getByRole("table", { name: "API tokens" })
        .getByRole("row")
        .filter({ hasText: "nightly export" });
      await row.getByText("read").waitFor();
      await row.getByRole("button", { name: "Revoke" }).click();
      await page.getByRole("heading", { name: "No API token" }).waitFor();
      assert.equal((await s.stack.call("GET", "/api/workflows", { token })).status, 401);
      await page.close();
    });
  }
});
