/** Email's actions (one so far): send a message through the SMTP connection. */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import type { SmtpSettings } from "./connection.ts";
import { smtpError, transportFor } from "./transport.ts";

const Addresses = z
  .union([z.string().min(3), z.array(z.string().min(3)).min(1)])
  .describe('One address, several separated by commas, or a list: "jo@example.com, Sam <sam@example.com>"');

export const SendEmailInput = z
  .object({
    to: Addresses,
    subject: z.string().min(1).describe("The subject line (templated)"),
    text: z.string().optional().describe("The plain-text body (templated)"),
    html: z.string().optional().describe("The HTML body (templated); mail apps show it instead of the text"),
    cc: Addresses.optional(),
    bcc: Addresses.optional(),
    replyTo: z.string().optional().describe("Where replies go, if not the sender").meta({ title: "Reply to" }),
    from: z.string().optional().describe("The sender; default: the connection's"),
  })
  .refine((i) => Boolean(i.text || i.html), { message: "give text, html or both", path: ["text"] })
  .describe("Send an email");

const sendEmail: AppAction<z.output<typeof SendEmailInput>, SmtpSettings> = {
  key: "email.send",
  title: "Send an email",
  keywords: ["email", "mail", "welcome", "reminder", "notify"],
  group: "Email",
  description: "Sends an email (plain text and/or HTML) through your SMTP server: to, cc, bcc, reply-to.",
  connections: ["smtp"],
  input: SendEmailInput,
  outputSample: { messageId: "<8f2c1e@harbourphysio.example>", accepted: ["jo@example.com"], rejected: [] },
  safety: "write-once",
  async run(connection, input) {
    const s = connection.settings;
    const transport = await transportFor(s, connection.network);
    try {
      const info = await transport.sendMail({
        from: input.from ?? s.from,
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        replyTo: input.replyTo,
        subject: input.subject,
        text: input.text,
        html: input.html,
      });
      return {
        messageId: info.messageId,
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
      };
    } catch (err) {
      throw smtpError(err);
    } finally {
      transport.close();
    }
  },
};

export const emailActions = [sendEmail];
