/**
 * Debian's Chromium driven by playwright-core (no browser download). Suites call
 * `browserSkip()` first: without /usr/bin/chromium they skip (and fail under CI=true).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { skipUnlessAvailable } from "./skip.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function browserSkip(): string | false {
  return skipUnlessAvailable("Chromium", existsSync(CHROMIUM), "apt-get install chromium (listed in .ci/apt-packages)");
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
