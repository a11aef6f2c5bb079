import type { z } from "zod";

/**
 * What an app step fails with: one sentence naming the app and what it said, whether trying again
 * may help (rate limit, 5xx, network) and whether the message may already have gone out.
 */
export type AppErrorCode = "rate_limited" | "server" | "network" | "timeout" | "rejected" | "invalid" | "config";

export class AppError extends Error {
  override name = "AppError";
  readonly app: string;
  readonly code: AppErrorCode;
  readonly status?: number;
  readonly transient: boolean;
  /** The request may have reached the vendor (sent, then the connection broke or timed out). */
  readonly maybeSent: boolean;
  readonly detail?: unknown;
  constructor(
    app: string,
    code: AppErrorCode,
    message: string,
    init: { status?: number; maybeSent?: boolean; detail?: unknown } = {},
  ) {
    super(message);
    this.app = app;
    this.code = code;
    this.status = init.status;
    this.transient = code === "rate_limited" || code === "server" || code === "network" || code === "timeout";
    this.maybeSent = init.maybeSent ?? false;
    this.detail = init.detail;
  }
}

/** Zod's issues as one sentence: `to: must be …; subject: required`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}
