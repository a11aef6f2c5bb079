/**
 * The resource catalogue: every Cliniko collection the product touches, declared once.
 *
 * Structural facts (paths, fields, filters, bodies) come from `spec.generated.json`; this file adds
 * what the document does not say — labels, how records go away, which fields Cliniko requires
 * in practice — and derives each resource's operations by their path shape. The client, the
 * sandbox, the actions, the triggers and the docs all read this table.
 */
import { deref, type FilterType, type OperationSpec, type SchemaNode, spec } from "./spec.ts";

/** Cliniko's hidden states: rows in them leave the default answers unless asked for with `q[]=<state>:*`. */
export const STATE_FIELDS = ["archived_at", "cancelled_at", "deleted_at"] as const;
export type StateField = (typeof STATE_FIELDS)[number];
export type OperationRole = "list" | "get" | "create" | "update" | "archive" | "unarchive" | "cancel" | "delete";

interface ResourceDeclaration {
  /** Singular, lower case, for messages ("patient"). */
  label: string;
  /** Fields Cliniko rejects a create without (found in practice; the document marks none required). */
  requiredOnCreate?: string[];
  /** True when DELETE removes the record for good (not a deprecated archive alias). */
  hardDelete?: boolean;
}

/** Keyed by collection name = first path segment = list envelope key. */
const declarations = {
  appointment_type_billable_items: {
    label: "appointment type billable item",
    requiredOnCreate: ["appointment_type_id", "billable_item_id"],
    hardDelete: true,
  },
  appointment_type_products: {
    label: "appointment type product",
    requiredOnCreate: ["appointment_type_id", "product_id"],
    hardDelete: true,
  },
  appointment_types: { label: "appointment type", requiredOnCreate: ["name", "duration_in_minutes"] },
  attendees: { label: "attendee", requiredOnCreate: ["booking_id", "patient_id"] },
  availability_blocks: {
    label: "availability block",
    requiredOnCreate: ["business_id", "practitioner_id", "starts_at", "ends_at"],
  },
  billable_items: { label: "billable item", requiredOnCreate: ["name", "item_type", "price"] },
  bookings: { label: "booking" },
  businesses: { label: "business", requiredOnCreate: ["business_name"] },
  communications: { label: "communication", requiredOnCreate: ["patient_id", "content"] },
  concession_prices: { label: "concession price" },
  concession_types: { label: "concession type", requiredOnCreate: ["name"] },
  contacts: { label: "contact", requiredOnCreate: ["first_name", "last_name"] },
  daily_availabilities: { label: "daily availability" },
  group_appointments: {
    label: "group appointment",
    // ends_at and max_attendees default from the appointment type when left out.
    requiredOnCreate: ["appointment_type_id", "business_id", "practitioner_id", "starts_at"],
  },
  individual_appointments: {
    label: "individual appointment",
    // ends_at defaults from the appointment type's duration when left out.
    requiredOnCreate: ["appointment_type_id", "business_id", "practitioner_id", "patient_id", "starts_at"],
  },
  invoice_items: { label: "invoice item" },
  invoices: { label: "invoice" },
  medical_alerts: { label: "medical alert", requiredOnCreate: ["patient_id", "name"] },
  patient_attachments: { label: "patient attachment", requiredOnCreate: ["patient_id", "upload_url"] },
  patient_cases: { label: "patient case", requiredOnCreate: ["patient_id", "name"] },
  patient_form_templates: { label: "patient form template", requiredOnCreate: ["name"] },
  patient_forms: { label: "patient form", requiredOnCreate: ["patient_id", "patient_form_template_id"] },
  patients: { label: "patient", requiredOnCreate: ["first_name", "last_name"] },
  practitioner_reference_numbers: {
    label: "practitioner reference number",
    requiredOnCreate: ["practitioner_id", "business_id", "reference_number"],
    hardDelete: true,
  },
  practitioners: { label: "practitioner" },
  product_suppliers: { label: "product supplier", requiredOnCreate: ["name"] },
  products: { label: "product", requiredOnCreate: ["name"] },
  referral_source_types: { label: "referral source type" },
  referral_sources: { label: "referral source" },
  relationships: { label: "relationship", requiredOnCreate: ["patient_id", "related_patient_id"] },
  stock_adjustments: { label: "stock adjustment", requiredOnCreate: ["product_id", "quantity", "adjustment_type"] },
  taxes: { label: "tax", requiredOnCreate: ["name", "rate"], hardDelete: true },
  treatment_note_templates: { label: "treatment note template", requiredOnCreate: ["name"] },
  treatment_notes: { label: "treatment note", requiredOnCreate: ["patient_id", "title"] },
  unavailable_block_types: { label: "unavailable block type", requiredOnCreate: ["name"] },
  unavailable_blocks: {
    label: "unavailable block",
    requiredOnCreate: ["business_id", "practitioner_id", "starts_at", "ends_at"],
  },
  users: { label: "user" },
} satisfies Record<string, ResourceDeclaration>;

export type ResourceName = keyof typeof declarations;

export interface Resource {
  name: ResourceName;
  label: string;
  /** Collection path, e.g. `/patients`. */
  path: string;
  /** Member path, e.g. `/patients/{id}`. */
  memberPath: string;
  /** Named schema of one record as Cliniko returns it (e.g. `Patient`). */
  recordSchema: string;
  /** Fields of a record (anyOf schemas such as Booking are merged). */
  fields: Record<string, SchemaNode>;
  /** `q[]` table of the main list. */
  filters: Record<string, FilterType>;
  /** Hidden-by-default states this collection can filter on (`q[]=archived_at:*` brings them back). */
  states: StateField[];
  /** The canonical (non-deprecated) operation for each role the API offers. */
  ops: Partial<Record<OperationRole, OperationSpec>>;
  /**
   * Deprecated aliases and every other operation under this path root (nested lists, variants),
   * plus nested lists of this resource under a root that is not a resource (`/appointments/{id}/invoices`).
   */
  otherOps: OperationSpec[];
  /** Writable fields of the create/update bodies. */
  createFields: Record<string, SchemaNode>;
  updateFields: Record<string, SchemaNode>;
  requiredOnCreate: string[];
  /** How a record goes away: really deleted, archived, or never through the API. */
  removal: "delete" | "archive" | "none";
}

function roleOf(op: OperationSpec, root: string): OperationRole | undefined {
  if (op.deprecated) return undefined;
  const base = `/${root}`;
  const member = `${base}/{id}`;
  const shapes: [string, string, OperationRole][] = [
    ["GET", base, "list"],
    ["POST", base, "create"],
    ["GET", member, "get"],
    ["PATCH", member, "update"],
    ["DELETE", member, "delete"],
    ["POST", `${member}/archive`, "archive"],
    ["POST", `${member}/unarchive`, "unarchive"],
    ["PATCH", `${member}/cancel`, "cancel"],
  ];
  return shapes.find(([m, p]) => op.method === m && op.path === p)?.[2];
}

/** Merges the properties of a schema, following refs and anyOf/oneOf alternatives. */
export function schemaFields(node: SchemaNode): Record<string, SchemaNode> {
  const resolved = deref(node);
  const alternatives = resolved.anyOf ?? resolved.oneOf;
  if (alternatives) return Object.assign({}, ...alternatives.map(schemaFields));
  return { ...(resolved.properties ?? {}) };
}

/**
 * Body fields the document marks `nullable: false` (a relationship's `relation`, a template's
 * `content`, a cancellation's reason): a create or cancel without them is refused.
 */
export function nonNullableFields(fields: Record<string, SchemaNode>): string[] {
  return Object.entries(fields)
    .filter(([, node]) => node.nullable === false)
    .map(([name]) => name);
}

function build(name: ResourceName, decl: ResourceDeclaration): Resource {
  const ops: Partial<Record<OperationRole, OperationSpec>> = {};
  const otherOps: OperationSpec[] = [];
  for (const op of spec.operations) {
    const root = op.path.split("/")[1] ?? "";
    // A nested list under a root that is no resource of its own (`/appointments/{id}/invoices`)
    // belongs to the resource it lists, so every operation has a home in the catalogue.
    const orphanList = !(root in declarations) && op.response.kind === "list" && op.response.key === name;
    if (root !== name && !orphanList) continue;
    const role = roleOf(op, name);
    if (role) ops[role] = op;
    else otherOps.push(op);
  }
  const list = ops.list;
  const recordNode =
    ops.get?.response.kind === "record"
      ? ops.get.response.schema
      : list?.response.kind === "list"
        ? list.response.item
        : undefined;
  if (!recordNode?.$ref) throw new Error(`Resource ${name} has no record schema in the spec`);
  const filters = list?.filters ?? {};
  const states = STATE_FIELDS.filter((s) => s in filters);
  return {
    name,
    label: decl.label,
    path: `/${name}`,
    memberPath: `/${name}/{id}`,
    recordSchema: recordNode.$ref,
    fields: schemaFields(recordNode),
    filters,
    states,
    ops,
    otherOps,
    createFields: ops.create?.body ? schemaFields(ops.create.body) : {},
    updateFields: ops.update?.body ? schemaFields(ops.update.body) : {},
    // The document marks no field required; a field it says cannot be null must be sent.
    requiredOnCreate: [
      ...new Set([
        ...(decl.requiredOnCreate ?? []),
        ...nonNullableFields(ops.create?.body ? schemaFields(ops.create.body) : {}),
      ]),
    ],
    removal: decl.hardDelete ? "delete" : ops.archive ? "archive" : "none",
  };
}

export const resources: Readonly<Record<ResourceName, Resource>> = Object.fromEntries(
  Object.entries(declarations).map(([name, decl]) => [name, build(name as ResourceName, decl)]),
) as Record<ResourceName, Resource>;

export const resourceNames = Object.keys(resources) as ResourceName[];

export function resource(name: string): Resource {
  const r = (resources as Record<string, Resource>)[name];
  if (!r) throw new Error(`Unknown Cliniko resource "${name}"`);
  return r;
}

/** The resource a link URL's path points at (`/patients/1` → patients), if it is one of ours. */
export function resourceOfPath(path: string): Resource | undefined {
  const root = path.replace(/^\/v1/, "").split("/")[1] ?? "";
  return (resources as Record<string, Resource>)[root];
}
