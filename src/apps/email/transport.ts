/** nodemailer transports for an SMTP connection, and its errors as AppErrors. */
import { isIP } from "node:net";
import nodemailer from "nodemailer";
import type { AllowList } from "../../net/address-policy.ts";
import { refusalIn, resolveAllowed } from "../../net/outbound.ts";
import { AppError } from "../errors.ts";
import type { SmtpSettings } from "./connection.ts";

const TIMEOUT_MS = 30_000;

/**
 * A transport to the connection's server, through the address policy: the host is resolved here
 * and only an allowed address is handed to nodemailer, which connects to exactly that address
 * (it would otherwise do its own DNS, after our check); TLS still verifies the host's name.
 */
export async function transportFor(s: SmtpSettings, network: AllowList) {
  let address: string;
  try {
    ({ address } = await resolveAllowed(s.host, network));
  } catch (err) {
    const refused = refusalIn(err);
    if (refused)
      throw new AppError("Email", "config", `The email was not sent: the address policy ${refused.message}.`);
    throw smtpError(Object.assign(err as Error, { code: "EDNS" }));
  }
  const name = s.host.replace(/^\[|\]$/g, "");
  return nodemailer.createTransport({
    host: address,
    port: s.port,
    secure: s.tls === "tls",
    requireTLS: s.tls === "starttls",
    ignoreTLS: s.tls === "none",
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? "" } } : {}),
    tls: { rejectUnauthorized: !s.allowInvalidCertificate, ...(isIP(name) ? {} : { servername: name }) },
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
}

/**
 * nodemailer's error codes: a refused login or a 5xx reply is final; a 4xx reply (greylisting, a
 * full queue) and a connection that never opened may pass later; a connection that broke while
 * the message was being sent may have delivered it.
 */
export function smtpError(err: unknown): AppError {
  const e = err as { code?: string; command?: string; responseCode?: number; response?: string; message?: string };
  const reply = e.response ? `: ${e.response}` : e.message ? `: ${e.message}` : ".";
  // The server will not upgrade to TLS: a plain relay, or one that wants TLS from the start.
  if (e.command === "STARTTLS")
    return new AppError(
      "Email",
      "rejected",
      `The SMTP server does not offer STARTTLS, which this connection's Security (starttls) asks for${reply}. For a relay on your own network set Security to none; for a server that wants TLS from the start use tls (usually port 465)`,
    );
  if (e.code === "EAUTH")
    return new AppError("Email", "rejected", `The SMTP server refused the login${reply}`, {
      status: e.responseCode ?? 535,
    });
  if (e.responseCode && e.responseCode >= 400 && e.responseCode < 500)
    return new AppError("Email", "server", `The SMTP server deferred the message (${e.responseCode})${reply}`, {
      status: e.responseCode,
    });
  if (e.responseCode && e.responseCode >= 500)
    return new AppError("Email", "rejected", `The SMTP server refused the message (${e.responseCode})${reply}`, {
      status: e.responseCode,
    });
  // CONN: the connection never opened (refused, no such host), so nothing was sent.
  if (e.code === "ECONNECTION" || e.code === "EDNS" || e.code === "ETLS" || e.command === "CONN")
    return new AppError("Email", "network", `The SMTP server could not be reached${reply}`);
  if (e.code === "ETIMEDOUT" || e.code === "ESOCKET")
    return new AppError("Email", "timeout", `The SMTP connection failed while sending${reply}`, { maybeSent: true });
  return new AppError("Email", "rejected", `Sending the email failed${reply}`);
}
