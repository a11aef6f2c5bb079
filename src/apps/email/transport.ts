/** nodemailer transports for an SMTP connection, and its errors as AppErrors. */
import nodemailer from "nodemailer";
import { AppError } from "../errors.ts";
import type { SmtpSettings } from "./connection.ts";

const TIMEOUT_MS = 30_000;

export function transportFor(s: SmtpSettings) {
  return nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.tls === "tls",
    requireTLS: s.tls === "starttls",
    ignoreTLS: s.tls === "none",
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? "" } } : {}),
    tls: { rejectUnauthorized: !s.allowInvalidCertificate },
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
  if (e.code === "EAUTH") return new AppError("Email", "rejected", `The SMTP server refused the login${reply}`);
  if (e.responseCode && e.responseCode >= 400 && e.responseCode < 500)
    return new AppError("Email", "server", `The SMTP server deferred the message (${e.responseCode})${reply}`);
  if (e.responseCode && e.responseCode >= 500)
    return new AppError("Email", "rejected", `The SMTP server refused the message (${e.responseCode})${reply}`);
  // CONN: the connection never opened (refused, no such host), so nothing was sent.
  if (e.code === "ECONNECTION" || e.code === "EDNS" || e.code === "ETLS" || e.command === "CONN")
    return new AppError("Email", "network", `The SMTP server could not be reached${reply}`);
  if (e.code === "ETIMEDOUT" || e.code === "ESOCKET")
    return new AppError("Email", "timeout", `The SMTP connection failed while sending${reply}`, { maybeSent: true });
  return new AppError("Email", "rejected", `Sending the email failed${reply}`);
}
