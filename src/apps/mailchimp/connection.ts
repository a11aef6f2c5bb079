/** A Mailchimp account's API key; the data centre (us21) is the key's suffix and names the API host. */
import { z } from "zod";
import { appBaseUrl } from "../base-url.ts";
import { type AppRequest, appRequest } from "../http.ts";
import type { AppConnection, AppConnectionKind } from "../types.ts";

export const MailchimpSettings = z.object({
  apiKey: z
    .string()
    .regex(/^[0-9a-f]{32}-[a-z]+\d+$/, "must be a Mailchimp API key with its data centre, e.g. …-us21")
    .describe("An API key (Profile → Extras → API keys), ending in its data centre such as -us21 (write-only)"),
});
export type MailchimpSettings = z.output<typeof MailchimpSettings>;

/** Mailchimp's errors are problem documents: `{ type, title, status, detail, instance }`. */
const mailchimpMessage = (body: unknown) => {
  const b = body as { title?: string; detail?: string } | null;
  return b?.detail || b?.title ? [b.title, b.detail].filter(Boolean).join(": ") : undefined;
};

export function mailchimp<T>(
  c: AppConnection<MailchimpSettings>,
  req: Pick<AppRequest, "method" | "body"> & { path: string },
) {
  const dc = c.settings.apiKey.split("-").pop();
  return appRequest<T>({
    app: "Mailchimp",
    method: req.method,
    url: `${appBaseUrl(`https://${dc}.api.mailchimp.com`, c.baseUrl)}/3.0${req.path}`,
    headers: { authorization: `Basic ${Buffer.from(`cliniko-flow:${c.settings.apiKey}`).toString("base64")}` },
    body: req.body,
    limiter: c.limiter(),
    network: c.network,
    errorMessage: mailchimpMessage,
  });
}

export const mailchimpConnection: AppConnectionKind = {
  kind: "mailchimp",
  title: "Mailchimp",
  description: "A Mailchimp API key (Profile → Extras → API keys); its suffix (-us21) is your data centre.",
  docs: "docs/apps/mailchimp.md",
  settings: MailchimpSettings,
  secrets: ["apiKey"],
  summary: (s) =>
    `data centre ${
      String(s.apiKey ?? "")
        .split("-")
        .pop() ?? "?"
    }`,
  async test(connection) {
    const { body } = await mailchimp<{ health_status?: string }>(connection as AppConnection<MailchimpSettings>, {
      method: "GET",
      path: "/ping",
    });
    return `Mailchimp answered: ${body.health_status ?? "ok"}.`;
  },
};
