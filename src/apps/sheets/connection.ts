/**
 * A Google service account as a connection kind. The OAuth JWT-bearer exchange is
 * google-auth-library's `JWT` client; its token endpoint is fixed (oauth2.googleapis.com), so a
 * test connection's base URL reaches the fake through the client's documented
 * `transporterOptions.fetchImplementation`, which re-aims only that origin.
 */
import { JWT } from "google-auth-library";
import { z } from "zod";
import { guardedFetch } from "../../net/outbound.ts";
import { appBaseUrl } from "../base-url.ts";
import { AppError } from "../errors.ts";
import { type AppRequest, appRequest } from "../http.ts";
import type { AppConnection, AppConnectionKind } from "../types.ts";

export const SheetsSettings = z.object({
  clientEmail: z
    .string()
    .email()
    .describe("The service account's email (client_email in its JSON key), e.g. flow@project.iam.gserviceaccount.com")
    .meta({ title: "Service account email" }),
  privateKey: z
    .string()
    .min(20)
    .describe("The private key (private_key in its JSON key), -----BEGIN PRIVATE KEY-----… (write-only)")
    .meta({ title: "Private key" }),
});
export type SheetsSettings = z.output<typeof SheetsSettings>;

const TOKEN_ORIGIN = "https://oauth2.googleapis.com";
const SCOPE = "https://www.googleapis.com/auth/spreadsheets";

/**
 * The key as PEM whatever way it was pasted: JSON's `\n` escapes, or a single line (a password
 * input drops line breaks), are put back into 64-character lines.
 */
export function pemKey(key: string): string {
  const k = key.replace(/\\n/g, "\n").trim();
  const m = /^(-----BEGIN [A-Z ]+-----)([\s\S]+?)(-----END [A-Z ]+-----)$/.exec(k);
  if (!m) return k;
  const body = (m[2] ?? "").replace(/\s+/g, "");
  return `${m[1]}\n${(body.match(/.{1,64}/g) ?? []).join("\n")}\n${m[3]}\n`;
}

// One JWT client per connection (and key), so its access token is reused until it expires.
const clients = new Map<string, { key: string; jwt: JWT }>();

function jwtFor(c: AppConnection<SheetsSettings>): JWT {
  const id = `${c.name}\0${c.settings.clientEmail}\0${c.baseUrl ?? ""}`;
  const hit = clients.get(id);
  if (hit && hit.key === c.settings.privateKey) return hit.jwt;
  const tokenBase = appBaseUrl(TOKEN_ORIGIN, c.baseUrl);
  const guarded = guardedFetch(c.network);
  const fetchImplementation: typeof fetch = (input, init) =>
    guarded(
      tokenBase === TOKEN_ORIGIN
        ? input
        : String(input instanceof Request ? input.url : input).replace(TOKEN_ORIGIN, tokenBase),
      init,
    );
  const jwt = new JWT({
    email: c.settings.clientEmail,
    key: pemKey(c.settings.privateKey),
    scopes: [SCOPE],
    transporterOptions: { fetchImplementation, retry: false },
  });
  clients.set(id, { key: c.settings.privateKey, jwt });
  return jwt;
}

async function accessToken(c: AppConnection<SheetsSettings>): Promise<string> {
  try {
    const { token } = await jwtFor(c).getAccessToken();
    if (!token) throw new Error("no access token in Google's answer");
    return token;
  } catch (err) {
    // The library's message names the endpoint and Google's error, never the key.
    const said = (err as { message?: string }).message ?? String(err);
    throw new AppError("Google Sheets", "rejected", `Google refused the service account's key: ${said.slice(0, 300)}`);
  }
}

/** Google's error body: `{ error: { code, message, status } }`. */
const googleMessage = (body: unknown) => (body as { error?: { message?: string } } | null)?.error?.message;

export async function sheets<T>(
  c: AppConnection<SheetsSettings>,
  req: Pick<AppRequest, "method" | "body"> & { spreadsheetId: string; path: string },
) {
  const token = await accessToken(c);
  return appRequest<T>({
    app: "Google Sheets",
    method: req.method,
    url: `${appBaseUrl("https://sheets.googleapis.com", c.baseUrl)}/v4/spreadsheets/${encodeURIComponent(req.spreadsheetId)}${req.path}`,
    headers: { authorization: `Bearer ${token}` },
    body: req.body,
    limiter: c.limiter(),
    network: c.network,
    errorMessage: googleMessage,
  });
}

export const sheetsConnection: AppConnectionKind = {
  kind: "google-sheets",
  title: "Google Sheets (service account)",
  description:
    "A Google Cloud service account's JSON key (its client_email and private_key); share each spreadsheet with that email as an editor.",
  docs: "docs/apps/google-sheets.md",
  settings: SheetsSettings,
  secrets: ["privateKey"],
  summary: (s) => String(s.clientEmail),
  async test(connection) {
    await accessToken(connection as AppConnection<SheetsSettings>);
    return "Google issued an access token for the service account.";
  },
};
