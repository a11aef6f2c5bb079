/** An SMTP server (the clinic's mail provider or relay) as a connection kind. */
import { z } from "zod";
import type { AppConnectionKind } from "../types.ts";
import { smtpError, transportFor } from "./transport.ts";

export const SmtpSettings = z.object({
  host: z.string().min(1).describe("The SMTP server, e.g. smtp.office365.com"),
  port: z.number().int().min(1).max(65535).describe("587 for STARTTLS, 465 for TLS, 25 for a relay"),
  from: z.string().min(3).describe('The sender, e.g. "Harbour Physio <reception@harbourphysio.example>"'),
  tls: z
    .enum(["starttls", "tls", "none"])
    .default("starttls")
    .describe("starttls (upgrade on port 587), tls (port 465) or none (a local relay only)")
    .meta({ title: "Security" }),
  user: z.string().optional().describe("The login, when the server asks for one"),
  password: z.string().optional().describe("The password or app password (write-only)"),
  allowInvalidCertificate: z
    .boolean()
    .default(false)
    .describe("Accept a self-signed certificate (an in-house relay); leave off for a mail provider")
    .meta({ title: "Accept a self-signed certificate" }),
});
export type SmtpSettings = z.output<typeof SmtpSettings>;

export const smtpConnection: AppConnectionKind = {
  kind: "smtp",
  title: "Email (SMTP)",
  description:
    "Your mail provider's SMTP server: its host and port, the sender address, and a login (often an app password).",
  docs: "docs/apps/email.md",
  settings: SmtpSettings,
  secrets: ["password"],
  summary: (s) => `${s.host}:${s.port} as ${s.from}`,
  async test(connection) {
    const s = connection.settings as SmtpSettings;
    const transport = await transportFor(s, connection.network);
    try {
      await transport.verify();
    } catch (err) {
      throw smtpError(err);
    } finally {
      transport.close();
    }
    return `The SMTP server ${s.host}:${s.port} accepted the ${s.user ? "login" : "connection"}.`;
  },
};
