/** Every app connection kind, by kind: the store, API, CLI and forms read their schemas here. */

import type { AppKind } from "../connection-kinds.ts";
import { UNREACHABLE } from "../net/outbound.ts";
import { smtpConnection } from "./email/connection.ts";
import { AppError } from "./errors.ts";
import { hubspotConnection } from "./hubspot/connection.ts";
import { mailchimpConnection } from "./mailchimp/connection.ts";
import { sheetsConnection } from "./sheets/connection.ts";
import { slackConnection, slackWebhookConnection } from "./slack/connection.ts";
import { teamsConnection } from "./teams/connection.ts";
import { twilioConnection } from "./twilio/connection.ts";
import type { AppConnection, AppConnectionKind } from "./types.ts";

export const appConnectionKinds: readonly AppConnectionKind[] = [
  smtpConnection,
  twilioConnection,
  slackConnection,
  slackWebhookConnection,
  teamsConnection,
  sheetsConnection,
  hubspotConnection,
  mailchimpConnection,
];

const byKind = new Map(appConnectionKinds.map((k) => [k.kind, k]));

export class UnknownConnectionKindError extends Error {
  override name = "UnknownConnectionKindError";
}

export function appConnectionKind(kind: string): AppConnectionKind {
  const def = byKind.get(kind as AppKind);
  if (!def)
    throw new UnknownConnectionKindError(
      `"${kind}" is not a connection kind; use cliniko or one of: ${appConnectionKinds.map((k) => k.kind).join(", ")}.`,
    );
  return def;
}

/**
 * A connection's test call. Whatever kept it from connecting — the address policy, no such host,
 * a closed port, a timeout, a failed TLS handshake, something that is not the expected server —
 * the answer is one sentence, so the test cannot be used to scan hosts and ports.
 */
export async function testAppConnection(connection: AppConnection): Promise<string> {
  const def = appConnectionKind(connection.kind);
  try {
    return await def.test(connection);
  } catch (err) {
    // The server answered in its own protocol (a status or reply code): what it said is the test's answer.
    if (err instanceof AppError && err.status !== undefined) throw err;
    throw new AppError(connection.kind, "network", UNREACHABLE(def.title));
  }
}

/** A kind's settings split into the stored plain part and the encrypted secret part. */
export function splitSettings(
  def: AppConnectionKind,
  settings: Record<string, unknown>,
): { settings: Record<string, unknown>; secrets: Record<string, string> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined) continue;
    if (def.secrets.includes(k)) secrets[k] = String(v);
    else plain[k] = v;
  }
  return { settings: plain, secrets };
}
