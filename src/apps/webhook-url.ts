/**
 * Incoming-webhook URLs (Slack, Teams) are secrets that are also addresses: only the vendor's own
 * hosts are accepted, over HTTPS, so a stored URL cannot aim a step at an internal service
 * (outside tests and the sandbox demo; see base-url.ts).
 */
import { z } from "zod";
import { baseUrlOverrideAllowed } from "./base-url.ts";

export function webhookUrl(hosts: readonly RegExp[], example: string) {
  return z
    .string()
    .url()
    .refine(
      (raw) => {
        // Never throws: an unparsable URL (a port of 99999) is z.url()'s issue, reported as one.
        if (!URL.canParse(raw)) return true;
        if (baseUrlOverrideAllowed()) return true;
        const url = new URL(raw);
        return url.protocol === "https:" && hosts.some((h) => h.test(url.hostname));
      },
      { message: `must be the webhook URL the app gave you (https://${example}/…)` },
    );
}
