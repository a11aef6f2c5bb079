/**
 * Rows ↔ wire records. `render` gives a row every field of its resource's record schema, with
 * link objects built from the schema's example URLs on the sandbox's own host. `fieldValue` is what
 * filters and sorts read: the stored value, or one derived from related rows (a group
 * appointment's `patient_ids` come from its attendees, as in Cliniko).
 */
import { STATE_FIELDS } from "../cliniko/resources.ts";
import { deref } from "../cliniko/spec.ts";
import { model } from "./model.ts";
import { Prng } from "./prng.ts";
import type { Row, SandboxStore } from "./store.ts";
import { blankValue, generateValue } from "./values.ts";

const patternContext = { rng: new Prng(7), nowMs: 0 };

/**
 * True when the row is in a hidden state that none of `revealed` (the fields of the request's
 * `q[]` filters, e.g. `archived_at:*`) brings back.
 */
export function isHidden(row: Row, revealed?: ReadonlySet<string>): boolean {
  return STATE_FIELDS.some((s) => row[s] != null) && !STATE_FIELDS.some((s) => row[s] != null && revealed?.has(s));
}

type Derivation = (row: Row, store: SandboxStore) => unknown;

const derived: Record<string, Record<string, Derivation>> = {
  group_appointments: {
    patient_ids: (row, store) =>
      store
        .rows("attendees")
        .filter((a) => a.booking_id === row.id && !isHidden(a))
        .map((a) => a.patient_id),
  },
  individual_appointments: { patient_ids: (row) => (row.patient_id ? [row.patient_id] : []) },
  unavailable_blocks: { patient_ids: () => [] },
  attendees: { appointment_id: (row) => row.booking_id },
};

export function fieldValue(store: SandboxStore, resource: string, row: Row, field: string): unknown {
  const derive = derived[resource]?.[field];
  return derive ? derive(row, store) : row[field];
}

/** The wire form of a row (ids as strings, absent links as null). */
export function render(store: SandboxStore, resource: string, row: Row, base: string): Record<string, unknown> {
  const m = model(resource);
  const out: Record<string, unknown> = {};
  for (const [field, node] of m.plain) {
    const v = fieldValue(store, resource, row, field);
    out[field] = v === undefined ? blankValue(node) : v;
  }
  for (const link of m.links) {
    if (link.kind === "self") {
      out[link.field] = { links: { self: `${base}${link.template.replace("{id}", row.id)}` } };
    } else {
      const id = row[link.idKey];
      out[link.field] = id == null ? null : { links: { self: `${base}/${link.target}/${String(id)}` } };
    }
  }
  out.links = { self: `${base}/${resource}/${row.id}` };
  return Object.fromEntries(Object.keys(m.resource.fields).map((k) => [k, out[k]]));
}

/** Descriptions Cliniko derives from codes. */
export const CANCELLATION_REASONS: Record<number, string> = {
  10: "Feeling Better",
  20: "Condition Worse",
  30: "Sick",
  40: "Away",
  50: "Other",
  60: "Work",
};
const INVOICE_STATUS: Record<number, string> = { 10: "Open", 20: "Paid", 30: "Closed", 40: "Open credit" };
const COMMUNICATION_TYPES: Record<number, string> = { 1: "Email", 2: "Other", 3: "Phone call", 4: "SMS" };
const CONTACT_TYPES: Record<number, string> = { 0: "Standard", 1: "Doctor", 2: "3rd Party Payer" };

function fullName(row: Row | undefined): string | null {
  return row ? `${String(row.first_name ?? "")} ${String(row.last_name ?? "")}`.trim() : null;
}

/** Taxes are not served, so a product with a tax counts it at this rate (Australian GST). */
export const SANDBOX_TAX_RATE = 0.1;

/**
 * A product is written with `price` (ex tax unless `price_includes_tax`) and read back as
 * `price_ex_tax` and `price_including_tax`. Rows without a written price (seeded ones) keep theirs.
 */
function productPrices(row: Row): Record<string, unknown> {
  if (row.price == null || row.price === "") return {};
  const price = Number(row.price);
  const rate = row.tax_id == null ? 0 : SANDBOX_TAX_RATE;
  const [ex, incl] = row.price_includes_tax === true ? [price / (1 + rate), price] : [price, price * (1 + rate)];
  return { price_ex_tax: ex.toFixed(2), price_including_tax: incl.toFixed(2) };
}

/** Fields Cliniko computes from others; applied after every create and update. */
const computed: Record<string, (row: Row, store: SandboxStore) => Record<string, unknown>> = {
  individual_appointments: (row, store) => ({
    patient_name: fullName(store.get("patients", String(row.patient_id))),
    cancellation_reason_description: CANCELLATION_REASONS[row.cancellation_reason as number] ?? null,
  }),
  practitioners: (row) => ({ display_name: fullName(row), label: fullName(row) }),
  patients: (row) => ({ label: fullName(row) }),
  products: productPrices,
  invoices: (row) => ({ status_description: INVOICE_STATUS[row.status as number] ?? null }),
  contacts: (row) => ({ type: CONTACT_TYPES[row.type_code as number] ?? null }),
  communications: (row) => ({
    type: COMMUNICATION_TYPES[row.type_code as number] ?? null,
    direction_description: row.direction_code === 1 ? "Received" : row.direction_code === 2 ? "Sent" : null,
    category: row.category_code === 12 ? "Memo" : (row.category ?? null),
  }),
  attendees: (row) => ({
    cancellation_reason_description: CANCELLATION_REASONS[row.cancellation_reason as number] ?? null,
  }),
};
export function computedFields(store: SandboxStore, resource: string, row: Row): Record<string, unknown> {
  return computed[resource]?.(row, store) ?? {};
}

/** Values of a new row: every plain field of the schema, the body's values over blank defaults. */
export function newRowValues(resource: string, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, node] of model(resource).plain) {
    if (field === "id" || field === "created_at" || field === "updated_at") continue;
    const n = deref(node);
    // A blank string would break a pattern (a colour must look like #rrggbb): pick a valid value.
    out[field] = n.pattern && !n.nullable && !(field in body) ? generateValue(field, n, patternContext) : blankValue(n);
  }
  return { ...out, ...body };
}
