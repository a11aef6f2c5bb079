/** SMS through Twilio's Messages API (form-encoded POST, Basic auth with the account's SID/token). */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { AppError } from "../errors.ts";
import { appRequest } from "../http.ts";
import { type TwilioSettings, twilioAuth, twilioMessage, twilioUrl } from "./connection.ts";

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;

export const SendSmsInput = z
  .object({
    to: z
      .string()
      .transform((s) => s.replace(/[\s()-]/g, ""))
      .pipe(z.string().regex(E164, "must be a phone number in international form, e.g. +61412345678"))
      .describe("The mobile number in international (E.164) form, e.g. +61412345678"),
    body: z.string().min(1).max(1600).describe("The text message (templated; up to 1600 characters)"),
    from: z.string().optional().describe("The sender; default: the connection's number or messaging service"),
  })
  .describe("Send a text message");

const sendSms: AppAction<z.output<typeof SendSmsInput>, TwilioSettings> = {
  key: "sms.send",
  title: "Send an SMS text message",
  keywords: ["sms", "text", "text message", "mobile", "reminder"],
  group: "SMS (Twilio)",
  description: "Sends a text message (SMS) to a mobile number through Twilio; the number is checked first.",
  connections: ["twilio"],
  input: SendSmsInput,
  outputSample: { sid: "SM0123456789abcdef0123456789abcdef", status: "queued", to: "+61412345678" },
  safety: "write-once",
  async run(connection, input) {
    const s = connection.settings;
    const form = new URLSearchParams({ To: input.to, Body: input.body });
    const from = input.from ?? s.from;
    if (input.from || !s.messagingServiceSid) {
      if (!from) throw new AppError("Twilio", "config", "No sender: set the connection's from number or the step's.");
      form.set("From", from);
    } else form.set("MessagingServiceSid", s.messagingServiceSid);
    const { body } = await appRequest<{ sid: string; status: string; to: string }>({
      app: "Twilio",
      method: "POST",
      url: twilioUrl(connection, "/Messages.json"),
      headers: twilioAuth(s),
      body: form,
      limiter: connection.limiter(),
      network: connection.network,
      errorMessage: twilioMessage,
    });
    return { sid: body.sid, status: body.status, to: body.to };
  },
};

export const twilioActions = [sendSms];
