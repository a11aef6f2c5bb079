/**
 * A fake of Google's OAuth token endpoint (the JWT-bearer grant: the assertion's RS256 signature,
 * issuer, audience and scope are checked) and of Sheets v4 values: get, update and append, which
 * refuse a write without valueInputOption as Sheets does. Test tree only.
 */
import { createVerify, generateKeyPairSync } from "node:crypto";
import { type FakeAnswer, type FakeCall, type FakeVendor, fakeVendor } from "./fake-vendor.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const SHEETS_EMAIL = "flow@clinic-project.iam.gserviceaccount.com";
export const SHEETS_KEY = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
export const SPREADSHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const TOKEN = "ya29.fake-sheets-access-token";

export interface SheetsFake extends FakeVendor {
  /** Rows of each tab (row 1 the header), by tab name. */
  tabs: Map<string, unknown[][]>;
}

const fail = (status: number, message: string): FakeAnswer => ({
  status,
  body: { error: { code: status, message, status: status === 401 ? "UNAUTHENTICATED" : "INVALID_ARGUMENT" } },
});

function token(call: FakeCall): FakeAnswer {
  const form = call.body as Record<string, string>;
  if (form.grant_type !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return fail(400, "unsupported_grant_type");
  const [head, claims, sig] = String(form.assertion).split(".");
  const ok = createVerify("RSA-SHA256")
    .update(`${head}.${claims}`)
    .verify(publicKey, sig ?? "", "base64url");
  const c = JSON.parse(Buffer.from(claims ?? "", "base64url").toString()) as Record<string, unknown>;
  if (!ok || c.iss !== SHEETS_EMAIL || c.aud !== "https://oauth2.googleapis.com/token")
    return { status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } };
  if (!String(c.scope).includes("https://www.googleapis.com/auth/spreadsheets"))
    return { status: 400, body: { error: "invalid_scope" } };
  return { body: { access_token: TOKEN, expires_in: 3599, token_type: "Bearer" } };
}

/** `'Tab'!A1`, `Tab!1:1`, `Tab!A:ZZ`: the tab and the first and last row (undefined: open). */
function parseRange(range: string): { tab: string; from?: number; to?: number } {
  const m = /^(?:'((?:[^']|'')+)'|([^!]+))!(.*)$/.exec(range);
  if (!m) return { tab: range };
  const tab = (m[1] ?? m[2] ?? "").replace(/''/g, "'");
  const nums = [...(m[3] ?? "").matchAll(/(\d+)/g)].map((x) => Number(x[1]));
  return { tab, from: nums[0], to: nums[1] ?? nums[0] };
}

const lastCol = (n: number) => String.fromCharCode(64 + Math.max(1, n));

export async function sheetsFake(): Promise<SheetsFake> {
  const tabs = new Map<string, unknown[][]>();
  const fake = await fakeVendor((call) => {
    if (call.method === "POST" && call.path === "/token") return token(call);
    if (call.headers.authorization !== `Bearer ${TOKEN}`)
      return fail(401, "Request had invalid authentication credentials.");
    const m = /^\/v4\/spreadsheets\/([^/]+)\/values\/(.+?)(:append)?$/.exec(call.path);
    if (!m || decodeURIComponent(m[1] ?? "") !== SPREADSHEET_ID) return fail(404, "Requested entity was not found.");
    const { tab, from, to } = parseRange(decodeURIComponent(m[2] ?? ""));
    const rows = tabs.get(tab);
    if (!rows) return fail(400, `Unable to parse range: ${tab}`);
    if (call.method === "GET") {
      const start = (from ?? 1) - 1;
      const slice = rows.slice(start, to === undefined ? undefined : to).map((r) => r.map(String));
      return { body: { range: `'${tab}'`, majorDimension: "ROWS", values: slice } };
    }
    if (!["RAW", "USER_ENTERED"].includes(call.query.get("valueInputOption") ?? ""))
      return fail(400, "'valueInputOption' is required but not specified");
    const values = (call.body as { values: unknown[][] }).values;
    if (call.method === "POST" && m[3]) {
      for (const v of values) rows.push(v);
      const n = rows.length;
      const range = `'${tab}'!A${n}:${lastCol(values[0]?.length ?? 1)}${n}`;
      return { body: { spreadsheetId: SPREADSHEET_ID, updates: { updatedRange: range, updatedRows: values.length } } };
    }
    if (call.method === "PUT" && from !== undefined) {
      values.forEach((v, k) => {
        rows[from - 1 + k] = v;
      });
      return { body: { updatedRange: `'${tab}'!A${from}:${lastCol(values[0]?.length ?? 1)}${from}` } };
    }
    return fail(400, "Unsupported request");
  });
  return Object.assign(fake, { tabs });
}
