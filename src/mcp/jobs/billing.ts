/** Money a front desk chases: the open (unpaid) invoices, with who owes what and the total. */
import { z } from "zod";
import type { ClinikoRecord } from "../../cliniko/types.ts";
import { objectOut, readJob } from "../define.ts";
import { capArray, cursorInput, cursorState } from "../shape.ts";
import type { McpTool } from "../tool.ts";
import { clientOf, dateInput, idInput, patientNames, practitionerNames, readAll } from "./common.ts";

/** Cliniko's invoice status for an invoice not yet paid ("Open"). */
const OPEN = 10;
/** Pages of 100 invoices an answer reads at most. */
const INVOICE_PAGES = 20;

const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100) || 0;

export function billingJobs(): McpTool[] {
  return [
    readJob("billing", {
      name: "unpaid_invoices",
      title: "Unpaid invoices",
      description:
        "Open (unpaid) invoices, oldest first, with patient and practitioner names and the total owed. Narrow by patient, practitioner, business or issue date.",
      input: z.strictObject({
        patient_id: idInput.optional(),
        practitioner_id: idInput.optional(),
        business_id: idInput.optional(),
        issued_before: dateInput.optional().describe("Only invoices issued before this date (e.g. overdue ones)."),
        cursor: cursorInput,
      }),
      output: objectOut({ invoices: { type: "array" }, total_owed: { type: "string" } }),
      async call(ctx, input) {
        const state = cursorState(input);
        const args = state.args;
        const client = await clientOf(ctx);
        const q = [`status:=${OPEN}`];
        for (const f of ["patient_id", "practitioner_id", "business_id"] as const)
          if (args[f]) q.push(`${f}:=${args[f]}`);
        if (args.issued_before) q.push(`issue_date:<${args.issued_before}`);
        const reach = await readAll(client, "list_invoices", { q, sort: "issue_date" }, INVOICE_PAGES);
        const owed = reach.records.reduce((sum, i) => sum + cents(i.total_amount), 0);
        const page = capArray(reach.records, state, ["*"]);
        const shown = page.records as ClinikoRecord[];
        const [patients, practitioners] = await Promise.all([
          patientNames(client, shown.map((i) => String(i.patient_id ?? "")).filter(Boolean)),
          practitionerNames(client),
        ]);
        return {
          invoices: shown.map((i) => ({
            id: i.id,
            number: i.number,
            issue_date: i.issue_date,
            total_amount: i.total_amount,
            patient: patients.get(String(i.patient_id)) ?? null,
            patient_id: i.patient_id ?? null,
            practitioner: practitioners.get(String(i.practitioner_id)) ?? null,
            appointment_id: i.appointment_id ?? null,
          })),
          total: reach.records.length,
          total_owed: (owed / 100).toFixed(2),
          complete: reach.complete,
          next_cursor: page.next_cursor,
        };
      },
    }),
  ];
}
