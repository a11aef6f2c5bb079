/**
 * Google Sheets: append a row, find rows by a column's value, update a row. Columns are named by
 * the sheet's header row (row 1), so a workflow keeps working when columns are reordered.
 */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { AppError } from "../errors.ts";
import type { AppConnection } from "../types.ts";
import { type SheetsSettings, sheets } from "./connection.ts";

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Where = {
  spreadsheetId: z
    .string()
    .min(10)
    .describe("From the spreadsheet's URL: docs.google.com/spreadsheets/d/<this part>/edit")
    .meta({ title: "Spreadsheet ID" }),
  sheet: z.string().min(1).default("Sheet1").describe("The tab's name (default Sheet1)"),
};
const Values = z
  .record(z.string(), Cell)
  .describe("Cells by column header, e.g. { Invoice: {{ trigger.number }}, Total: {{ trigger.total_amount }} }");

/** A1 notation for a range of a tab, its name quoted as Sheets requires. */
const a1 = (sheet: string, range: string) => `/values/${encodeURIComponent(`'${sheet.replace(/'/g, "''")}'!${range}`)}`;

type ValueRange = { values?: unknown[][] };

async function rows(c: AppConnection<SheetsSettings>, spreadsheetId: string, sheet: string, range: string) {
  const { body } = await sheets<ValueRange>(c, { method: "GET", spreadsheetId, path: a1(sheet, range) });
  return body.values ?? [];
}

async function headerRow(c: AppConnection<SheetsSettings>, spreadsheetId: string, sheet: string): Promise<string[]> {
  const header = ((await rows(c, spreadsheetId, sheet, "1:1"))[0] ?? []).map(String);
  if (header.length === 0)
    throw new AppError("Google Sheets", "config", `The tab "${sheet}" has no header row: put column names in row 1.`);
  return header;
}

/** The row's cells in the header's order; a name the header lacks is an error, not a lost value. */
function rowOf(header: string[], values: Record<string, unknown>, base: unknown[] = []): unknown[] {
  const unknown = Object.keys(values).filter((k) => !header.includes(k));
  if (unknown.length > 0)
    throw new AppError(
      "Google Sheets",
      "config",
      `The sheet has no column ${unknown.map((k) => `"${k}"`).join(", ")}; its columns are ${header.map((h) => `"${h}"`).join(", ")}.`,
    );
  return header.map((h, i) => (h in values ? (values[h] ?? "") : (base[i] ?? "")));
}

export const AppendRowInput = z.object({ ...Where, values: Values }).describe("Add a row to a Google Sheet");

const appendRow: AppAction<z.output<typeof AppendRowInput>, SheetsSettings> = {
  key: "sheets.append_row",
  title: "Add a row to a Google Sheet",
  keywords: ["spreadsheet", "sheet", "excel", "row", "table"],
  group: "Google Sheets",
  description: "Appends a row after the sheet's data, each value under the column with that header.",
  connections: ["google-sheets"],
  input: AppendRowInput,
  outputSample: { updatedRange: "'Sheet1'!A12:D12", rowNumber: 12 },
  safety: "write-once",
  async run(c, i) {
    const header = await headerRow(c, i.spreadsheetId, i.sheet);
    const { body } = await sheets<{ updates?: { updatedRange?: string } }>(c, {
      method: "POST",
      spreadsheetId: i.spreadsheetId,
      // USER_ENTERED: numbers and dates are parsed as if typed, like a person adding the row.
      path: `${a1(i.sheet, "A1")}:append?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS`,
      body: { values: [rowOf(header, i.values)] },
    });
    const updatedRange = body.updates?.updatedRange ?? "";
    const rowNumber = Number(/![A-Z]+(\d+)/.exec(updatedRange)?.[1] ?? Number.NaN);
    return { updatedRange, rowNumber: Number.isNaN(rowNumber) ? null : rowNumber };
  },
};

export const FindRowsInput = z
  .object({
    ...Where,
    column: z.string().min(1).describe("The header of the column to search"),
    value: z.union([z.string(), z.number()]).describe("The value to match (compared as text)"),
  })
  .describe("Find rows in a Google Sheet");

const findRows: AppAction<z.output<typeof FindRowsInput>, SheetsSettings> = {
  key: "sheets.find_rows",
  title: "Find rows in a Google Sheet",
  keywords: ["spreadsheet", "sheet", "excel", "row", "table"],
  group: "Google Sheets",
  description: "Finds the rows whose cell in a column equals a value; each row by header, with its row number.",
  connections: ["google-sheets"],
  input: FindRowsInput,
  outputSample: { count: 1, rows: [{ rowNumber: 4, values: { Invoice: "INV-104", Total: "120" } }] },
  safety: "read",
  async run(c, i) {
    const [header = [], ...data] = await rows(c, i.spreadsheetId, i.sheet, "A:ZZ");
    const names = header.map(String);
    const col = names.indexOf(i.column);
    if (col < 0) rowOf(names, { [i.column]: null }); // throws: names the columns there are
    const found = data
      .map((r, n) => ({ rowNumber: n + 2, r }))
      .filter(({ r }) => String(r[col] ?? "") === String(i.value))
      .map(({ rowNumber, r }) => ({ rowNumber, values: Object.fromEntries(names.map((h, k) => [h, r[k] ?? ""])) }));
    return { count: found.length, rows: found };
  },
};

export const UpdateRowInput = z
  .object({
    ...Where,
    rowNumber: z.number().int().min(2).describe("The row to change (from Find rows); row 1 is the header"),
    values: Values,
  })
  .describe("Update a row of a Google Sheet");

const updateRow: AppAction<z.output<typeof UpdateRowInput>, SheetsSettings> = {
  key: "sheets.update_row",
  title: "Update a row of a Google Sheet",
  keywords: ["spreadsheet", "sheet", "excel", "row", "table"],
  group: "Google Sheets",
  description: "Changes the named columns of one row; the other cells keep their values.",
  connections: ["google-sheets"],
  input: UpdateRowInput,
  outputSample: { updatedRange: "'Sheet1'!A4:D4", rowNumber: 4 },
  safety: "idempotent",
  async run(c, i) {
    const header = await headerRow(c, i.spreadsheetId, i.sheet);
    const current = (await rows(c, i.spreadsheetId, i.sheet, `${i.rowNumber}:${i.rowNumber}`))[0] ?? [];
    const { body } = await sheets<{ updatedRange?: string }>(c, {
      method: "PUT",
      spreadsheetId: i.spreadsheetId,
      path: `${a1(i.sheet, `A${i.rowNumber}`)}?valueInputOption=USER_ENTERED`,
      body: { values: [rowOf(header, i.values, current)] },
    });
    return { updatedRange: body.updatedRange ?? "", rowNumber: i.rowNumber };
  },
};

export const sheetsActions = [appendRow, findRows, updateRow];
