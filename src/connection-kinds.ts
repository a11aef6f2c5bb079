/**
 * The kinds of connection a workflow can name: Cliniko, and each app a step can talk to. The list
 * is the one place a kind is spelled; the store, the API, the CLI and the editor read it.
 */
export const CONNECTION_KINDS = [
  "cliniko",
  "smtp",
  "twilio",
  "slack",
  "slack-webhook",
  "teams",
  "google-sheets",
  "hubspot",
  "mailchimp",
] as const;

export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
/** Every kind but Cliniko (whose key, email and region are columns of their own). */
export type AppKind = Exclude<ConnectionKind, "cliniko">;

export function isConnectionKind(s: string): s is ConnectionKind {
  return (CONNECTION_KINDS as readonly string[]).includes(s);
}
