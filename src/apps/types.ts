/**
 * What an app is to the rest of the system: connection kinds (a settings schema whose secret
 * fields are encrypted and write-only, and a "test" call) and step kinds (registry entries).
 */
import type { z } from "zod";
import type { RateLimiter } from "../cliniko/rate-limit.ts";
import type { AppKind } from "../connection-kinds.ts";
import type { AllowList } from "../net/address-policy.ts";

/** A resolved app connection as a step uses it: settings parsed, secrets decrypted. */
export interface AppConnection<S = Record<string, unknown>> {
  name: string;
  kind: AppKind;
  settings: S;
  /** Test/demo-only vendor URL override (see base-url.ts); apps read it through appBaseUrl. */
  baseUrl?: string;
  /** The limiter of a scope of this connection (a channel, the token): shared process-wide. */
  limiter(scope?: string): RateLimiter;
  /** The address policy's exceptions (CLINIKO_FLOW_HTTP_ALLOW): every connection the app opens is checked against it. */
  network: AllowList;
}

export interface AppConnectionKind {
  kind: AppKind;
  /** "Email (SMTP)": shown in the connection form's kind picker. */
  title: string;
  /** Where to get the credentials, one or two sentences (the form shows it). */
  description: string;
  /** The documentation page, relative to the repository root. */
  docs: string;
  /** Every field, secrets included; `.describe()`d for the generated forms and CLI help. */
  settings: z.ZodObject;
  /** The names of the secret fields: encrypted at rest, write-only, never listed or logged. */
  secrets: readonly string[];
  /** One line for listings (the host, the account, the workspace), never a secret. */
  summary(settings: Record<string, unknown>): string;
  /** Checks the credentials with a harmless call; resolves to one sentence saying what it found. */
  test(connection: AppConnection): Promise<string>;
}
