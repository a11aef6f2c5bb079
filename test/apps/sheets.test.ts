/**
 * Google Sheets against a local fake of Google's token endpoint and Sheets values API: the
 * service account's JWT-bearer exchange (by google-auth-library) and each action's requests.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, beforeEach, test } from "node:test";
import { appConnectionKind } from "../../src/apps/connections.ts";
import { AppError } from "../../src/apps/errors.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import { addApp, runStep } from "./helpers.ts";
import { SHEETS_EMAIL, SHEETS_KEY, type SheetsFake, SPREADSHEET_ID, sheetsFake } from "./sheets-fake.ts";

let h: Harness;
let clients: ClientProvider;
let fake: SheetsFake;
const where = { spreadsheetId: SPREADSHEET_ID, sheet: "Invoices 2026" };

before(async () => {
  h = await harness();
  clients = new ClientProvider(h.store, { env: h.env });
  fake = await sheetsFake();
  await addApp(h.store, "sheets", "google-sheets", { clientEmail: SHEETS_EMAIL, privateKey: SHEETS_KEY }, fake.url);
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });
  await addApp(
    h.store,
    "wrong-key",
    "google-sheets",
    { clientEmail: SHEETS_EMAIL, privateKey: String(other) },
    fake.url,
  );
});
beforeEach(() => {
  fake.tabs.set("Invoices 2026", [
    ["Invoice", "Patient", "Total", "Paid"],
    ["INV-1", "Jo Bloggs", "80", "no"],
  ]);
  fake.calls.length = 0;
});
after(async () => {
  await fake.close();
  await h.close();
});

test("append_row maps values to columns by header, with valueInputOption; the token is fetched once", async () => {
  const out = await runStep(
    clients,
    "sheets.append_row",
    { ...where, values: { Total: 120, Invoice: "INV-2", Patient: "Ada Lovelace" } },
    "sheets",
  );
  assert.deepEqual(fake.tabs.get("Invoices 2026")?.[2], ["INV-2", "Ada Lovelace", 120, ""]);
  assert.deepEqual(out, { updatedRange: "'Invoices 2026'!A3:D3", rowNumber: 3 });
  const append = fake.calls.find((c) => c.path.endsWith(":append"));
  assert.equal(append?.query.get("valueInputOption"), "USER_ENTERED");
  await runStep(clients, "sheets.append_row", { ...where, values: { Invoice: "INV-3" } }, "sheets");
  assert.equal(fake.calls.filter((c) => c.path === "/token").length, 1, "one token for both appends");
});

test("find_rows matches a column's value; update_row changes named cells and keeps the rest", async () => {
  const found = (await runStep(
    clients,
    "sheets.find_rows",
    { ...where, column: "Invoice", value: "INV-1" },
    "sheets",
  )) as {
    count: number;
    rows: { rowNumber: number; values: Record<string, string> }[];
  };
  assert.equal(found.count, 1);
  assert.deepEqual(found.rows[0], {
    rowNumber: 2,
    values: { Invoice: "INV-1", Patient: "Jo Bloggs", Total: "80", Paid: "no" },
  });
  await runStep(clients, "sheets.update_row", { ...where, rowNumber: 2, values: { Paid: "yes" } }, "sheets");
  assert.deepEqual(fake.tabs.get("Invoices 2026")?.[1], ["INV-1", "Jo Bloggs", "80", "yes"]);
  const put = fake.calls.find((c) => c.method === "PUT");
  assert.equal(put?.query.get("valueInputOption"), "USER_ENTERED");
});

test("a column the header lacks, a wrong key and a missing spreadsheet are clear errors, never the key", async () => {
  await assert.rejects(
    runStep(clients, "sheets.append_row", { ...where, values: { Amount: 1 } }, "sheets"),
    (e: AppError) =>
      e instanceof AppError && /no column "Amount".*"Invoice", "Patient", "Total", "Paid"/.test(e.message),
  );
  await assert.rejects(
    runStep(clients, "sheets.append_row", { ...where, values: { Invoice: "x" } }, "wrong-key"),
    (e: AppError) =>
      e instanceof AppError &&
      /refused the service account's key/.test(e.message) &&
      !e.message.includes("PRIVATE KEY"),
  );
  await assert.rejects(
    runStep(
      clients,
      "sheets.find_rows",
      { ...where, spreadsheetId: "1NotTheSpreadsheetIdAtAll", column: "Invoice", value: "x" },
      "sheets",
    ),
    (e: AppError) => e instanceof AppError && /not found/.test(e.message),
  );
});

test("the connection test exchanges the key for a token, however the key was pasted", async () => {
  // A password input drops line breaks; a key copied from the JSON file has \\n escapes.
  await addApp(
    h.store,
    "one-line",
    "google-sheets",
    { clientEmail: SHEETS_EMAIL, privateKey: SHEETS_KEY.replace(/\n/g, "") },
    fake.url,
  );
  await addApp(
    h.store,
    "escaped",
    "google-sheets",
    { clientEmail: SHEETS_EMAIL, privateKey: SHEETS_KEY.replace(/\n/g, "\\n") },
    fake.url,
  );
  for (const name of ["one-line", "escaped"])
    assert.match(
      await appConnectionKind("google-sheets").test(await clients.app(name, ["google-sheets"])),
      /access token/,
    );
  assert.match(
    await appConnectionKind("google-sheets").test(await clients.app("sheets", ["google-sheets"])),
    /access token/,
  );
  await assert.rejects(
    appConnectionKind("google-sheets").test(await clients.app("wrong-key", ["google-sheets"])),
    AppError,
  );
});
