/** A Twilio account (Account SID + Auth Token) as a connection kind. */
import { z } from "zod";
import { appBaseUrl } from "../base-url.ts";
import { appRequest } from "../http.ts";
import type { AppConnection, AppConnectionKind } from "../types.ts";

export const TWILIO_API = "https://api.twilio.com";

export const TwilioSettings = z
  .object({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, "must be an Account SID (AC followed by 32 hex digits)")
      .describe("The Account SID on the Twilio console's front page (AC…)"),
    authToken: z.string().min(8).describe("The Auth Token beside it (write-only)"),
    from: z.string().optional().describe("The default sender: a Twilio number in E.164 (+61…) or an alphanumeric ID"),
    messagingServiceSid: z.string().optional().describe("Or a Messaging Service SID (MG…) to send from"),
  })
  // Without a sender every SMS would fail at Twilio: refused when the connection is saved.
  .refine((s) => Boolean(s.from?.trim() || s.messagingServiceSid?.trim()), {
    message: "give a sender: the number to send from, or a Messaging Service SID",
    path: ["from"],
  });
export type TwilioSettings = z.output<typeof TwilioSettings>;

/** Twilio's error body: `{ code, message, more_info, status }`. */
export const twilioMessage = (body: unknown): string | undefined => {
  const b = body as { code?: number; message?: string } | null;
  return b?.message ? `${b.message}${b.code ? ` (Twilio error ${b.code})` : ""}` : undefined;
};

export function twilioAuth(s: TwilioSettings): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString("base64")}` };
}

export const twilioUrl = (c: AppConnection<TwilioSettings>, path: string) =>
  `${appBaseUrl(TWILIO_API, c.baseUrl)}/2010-04-01/Accounts/${c.settings.accountSid}${path}`;

export const twilioConnection: AppConnectionKind = {
  kind: "twilio",
  title: "SMS (Twilio)",
  description: "Your Twilio Account SID and Auth Token (Twilio console → Account info), and the number to send from.",
  docs: "docs/apps/twilio.md",
  settings: TwilioSettings,
  secrets: ["authToken"],
  summary: (s) => `account ${s.accountSid}${s.from ? ` from ${s.from}` : ""}`,
  async test(connection) {
    const c = connection as AppConnection<TwilioSettings>;
    const { body } = await appRequest<{ friendly_name?: string; status?: string }>({
      app: "Twilio",
      method: "GET",
      url: twilioUrl(c, ".json"),
      headers: twilioAuth(c.settings),
      limiter: c.limiter(),
      network: c.network,
      errorMessage: twilioMessage,
    });
    return `Twilio account "${body.friendly_name ?? c.settings.accountSid}" is ${body.status ?? "reachable"}.`;
  },
};
