/**
 * The actions: the brief's 98 rows (its key, title and group + the Cliniko operation behind it),
 * then one derived row for every other non-deprecated operation of Cliniko's API document
 * (`source: "api"`), all turned into full definitions by `build` from the resource catalogue. Rows
 * that need more than one generic request name a handler in handlers.ts.
 */
import { z } from "zod";
import { explainSchema } from "../cliniko/field-docs.ts";
import { nonNullableFields, type ResourceName, resource, resources, schemaFields } from "../cliniko/resources.ts";
import { type OperationSpec, operation, type SchemaNode, spec } from "../cliniko/spec.ts";
import { bodySchema, clinikoId, jsonSchemaOf } from "../cliniko/zod-schema.ts";
import { inClinicTime } from "./clinic-time.ts";
import { describe, pluralLabel } from "./descriptions.ts";
import { handlers, UNDOCUMENTED } from "./handlers.ts";
import { checkPaging, idOrUrl, listOptionsShape, parseInput, resolveId, resolveRefs } from "./inputs.ts";
import { outputWithLinkIds } from "./links.ts";
import { isScoped, type RunContext, runGeneric, type SearchMode } from "./run.ts";
import { sampleOf, sampleRecord } from "./samples.ts";
import type { ActionDef, ActionKind, CatalogSource } from "./types.ts";

export interface ActionRow {
  key: string;
  title: string;
  group: string;
  /**
   * The Cliniko operation the action calls (method, path, kind, resource, input derive from it):
   * an operationId, or a spec for a write Cliniko's document lacks (handlers.ts `UNDOCUMENTED`).
   */
  op: string | OperationSpec;
  kind?: ActionKind;
  description?: string;
  /** Find: other fields that locate the record (`email` → `q[]=email:=…`). */
  search?: Record<string, SearchMode>;
  /** List: an id the list is about, sent as `q[]=<parent>:=<id>` (instead of a deprecated nested path). */
  parent?: string;
  /** Custom behaviour (handlers.ts), with the main operation's facts it cannot derive. */
  handler?: keyof typeof handlers;
  resource?: ResourceName;
  documented?: boolean;
  /** "brief" unless derived from the API document (apiRows) or computed by cliniko-flow (flowRows). */
  source?: CatalogSource;
}

const row = (
  key: string,
  title: string,
  group: string,
  spec: Omit<ActionRow, "key" | "title" | "group">,
): ActionRow => ({
  key,
  title,
  group,
  ...spec,
});

// Groups in the brief's words.
const CP = "Concession Prices";
const PRN = "Practitioner Reference Numbers";
const PR = "Practitioners";
const BK = "Bookings";
const CM = "Communications";
const AP = "Appointments";
const INV = "Invoices & Invoice Items";
const BU = "Businesses";
const MA = "Medical Alerts";
const CT = "Contacts";
const PA = "Patients";
const PC = "Patient Cases";
const AB = "Availability Blocks";
const TN = "Treatment Notes";
const PD = "Products";
const AT = "Appointment Types";
const ATBI = "Appointment Type Billable Items";
const ATP = "Appointment Type Products";
const BI = "Billable Items";
const ATT = "Attendees";

/** In the brief's order. */
export const actionRows: readonly ActionRow[] = [
  row("create_concession_price", "Create Concession Price", CP, {
    handler: "createConcessionPrice",
    op: UNDOCUMENTED.createConcessionPrice,
    kind: "create",
    resource: "concession_prices",
    documented: false,
    description:
      "Sends POST /concession_prices. Cliniko's API documents no way to create concession prices, so expect a clear refusal; set prices in Cliniko's settings.",
  }),
  row("update_concession_price", "Update Concession Price", CP, {
    handler: "updateConcessionPrice",
    op: UNDOCUMENTED.updateConcessionPrice,
    kind: "update",
    resource: "concession_prices",
    documented: false,
    description:
      "Sends PATCH /concession_prices/{id}. Cliniko's API documents no way to change concession prices, so expect a clear refusal; change prices in Cliniko's settings.",
  }),
  row("find_concession_price", "Find Concession Price", CP, { op: "GetConcessionPrice-Get" }),
  row("list_concession_prices", "List Concession Prices", CP, { op: "ListConcessionPrices-Get" }),
  row("create_practitioner_reference_number", "Create Practitioner Reference Number", PRN, {
    op: "CreatePractitionerReferenceNumber-Post",
  }),
  row("update_practitioner_reference_number", "Update Practitioner Reference Number", PRN, {
    op: "UpdatePractitionerReferenceNumber-Patch",
  }),
  row("find_practitioner_reference_number", "Find Practitioner Reference Number", PRN, {
    op: "GetPractitionerReferenceNumber-Get",
  }),
  row("list_practitioner_reference_numbers", "List Practitioner Reference Numbers", PRN, {
    op: "ListPractitionerReferenceNumbers-Get",
  }),
  row("delete_practitioner_reference_number", "Delete Practitioner Reference Number", PRN, {
    op: "DeletePractitionerReferenceNumber-Delete",
  }),
  row("list_practitioners", "List Practitioners", PR, {
    op: "ListPractitioners-Get",
    description: "Lists active practitioners with q[] filters, sort and paging (all: true follows every page).",
  }),
  row("list_inactive_practitioners", "List Inactive Practitioners", PR, {
    op: "ListInactivePractitioners-Get",
    description: "Lists inactive practitioners with q[] filters, sort and paging.",
  }),
  row("list_practitioners_for_appointment_type", "List Practitioners For Appointment Type", PR, {
    op: "ListPractitionersForAppointmentType-Get",
    description: "Lists the active practitioners who offer an appointment type.",
  }),
  row("list_practitioners_for_business", "List Practitioners For Business", PR, {
    op: "ListPractitionersForBusiness-Get",
    description: "Lists the active practitioners of a business.",
  }),
  row("list_inactive_practitioners_for_appointment_type", "List Inactive Practitioners For Appointment Type", PR, {
    op: "ListInactivePractitionersForAppointmentType-Get",
    description: "Lists the inactive practitioners linked to an appointment type.",
  }),
  row("list_inactive_practitioners_for_business", "List Inactive Practitioners For Business", PR, {
    op: "ListInactivePractitionersForBusiness-Get",
    description: "Lists the inactive practitioners of a business.",
  }),
  row("find_practitioner", "Find Practitioner", PR, {
    handler: "findPractitioner",
    op: "GetPractitioner-Get",
    kind: "find",
    resource: "practitioners",
    description:
      "Gets a practitioner by id or URL, or by email: practitioners carry no email, so the email is matched among Cliniko users and their practitioner (active or inactive) returned; null when none matches.",
  }),
  row("list_bookings", "List Bookings", BK, {
    op: "ListBookings-Get",
    description:
      "Lists bookings (individual and group appointments and unavailable blocks, mixed) with q[] filters, sort and paging.",
  }),
  row("find_booking", "Find Booking", BK, {
    op: "GetBooking-Get",
    description: "Gets a booking (an individual or group appointment, or an unavailable block) by id or URL.",
  }),
  row("create_communication", "Create Communication", CM, {
    op: "CreateMemoCommunication-Post",
    description:
      "Records a communication (a memo) on a patient's file. Nothing is sent: SMS and email types are only logged.",
  }),
  row("update_communication", "Update Communication", CM, {
    op: "UpdateMemoCommunication-Patch",
    description: "Updates a memo communication by id or URL; only the fields you send change.",
  }),
  row("find_communication", "Find Communication", CM, { op: "GetCommunication-Get" }),
  row("list_communications", "List Communications", CM, { op: "ListCommunications-Get" }),
  row("archive_communication", "Archive Communication", CM, {
    op: "ArchiveMemoCommunication-Post",
    description:
      "Archives a memo communication (one recorded with Create Communication): it leaves Cliniko's default lists but is kept. Cliniko's API archives memos only.",
  }),
  row("archive_group_appointment", "Archive Group Appointment", AP, { op: "ArchiveGroupAppointment-Post" }),
  row("list_individual_appointments", "List Individual Appointments", AP, { op: "ListIndividualAppointments-Get" }),
  row("archive_individual_appointment", "Archive Individual Appointment", AP, {
    op: "ArchiveIndividualAppointment-Post",
  }),
  row("cancel_individual_appointment", "Cancel Individual Appointment", AP, {
    op: "CancelIndividualAppointment-Patch",
  }),
  row("list_group_appointments", "List Group Appointments", AP, { op: "ListGroupAppointments-Get" }),
  row("create_individual_appointment", "Create Individual Appointment", AP, {
    op: "CreateIndividualAppointment-Post",
    description:
      "Books an individual appointment for one patient (starts_at/ends_at without an offset are the clinic's local time).",
  }),
  row("update_individual_appointment", "Update Individual Appointment", AP, {
    op: "UpdateIndividualAppointment-Patch",
  }),
  row("create_group_appointment", "Create Group Appointment", AP, {
    op: "CreateGroupAppointment-Post",
    description: "Creates a group appointment; add people to it with Create Attendee.",
  }),
  row("update_group_appointment", "Update Group Appointment", AP, { op: "UpdateGroupAppointment-Patch" }),
  row("find_appointment", "Find Appointment", AP, {
    handler: "findAppointment",
    op: "GetIndividualAppointment-Get",
    kind: "find",
    resource: "individual_appointments",
    description:
      "Gets an individual or a group appointment by id or URL (type: individual|group, or tried in that order); the result's appointment_kind says which.",
  }),
  row("get_all_available_time", "Get All Available Time", AP, {
    handler: "availableTimes",
    op: "GetAllAvailableTimes-Get",
    kind: "custom",
    description:
      "Lists the free appointment start times of a practitioner for an appointment type at a business between two dates (any range up to 90 days, split into Cliniko's 7-day windows; Cliniko refuses a from before today). Only what is enabled for online bookings shows.",
  }),
  row("get_next_available_time", "Get Next Available Time", AP, {
    handler: "nextAvailableTime",
    op: "GetNextAvailableTime-Get",
    kind: "custom",
    description:
      "Gets the first free appointment start time between two dates (up to 90 days, searched in Cliniko's 7-day windows; Cliniko refuses a from before today); appointment_start is null when none is free. Only what is enabled for online bookings shows.",
  }),
  row("list_invoices", "List Invoices", INV, { op: "ListInvoices-Get" }),
  row("list_appointment_invoices", "List Appointment Invoices", INV, {
    op: "ListInvoicesForAppointment-Get",
    description: "Lists the invoices of an appointment.",
  }),
  row("list_patient_case_invoices", "List Patient Case Invoices", INV, {
    op: "ListInvoicesForPatientCase-Get",
    description: "Lists the invoices of a patient case.",
  }),
  row("list_invoice_items", "List Invoice Items", INV, { op: "ListInvoiceItems-Get" }),
  row("find_invoice_item", "Find Invoice Item", INV, { op: "GetInvoiceItem-Get" }),
  row("find_invoice", "Find Invoice", INV, { op: "GetInvoice-Get", search: { number: "filter" } }),
  row("list_businesses", "List Businesses", BU, { op: "ListBusinesses-Get" }),
  row("find_business", "Find Business", BU, { op: "GetBusiness-Get" }),
  row("create_business", "Create Business", BU, { op: "CreateBusiness-Post" }),
  row("update_business", "Update Business", BU, { op: "UpdateBusiness-Patch" }),
  row("create_medical_alert", "Create Medical Alert", MA, { op: "CreateMedicalAlert-Post" }),
  row("update_medical_alert", "Update Medical Alert", MA, { op: "UpdateMedicalAlert-Patch" }),
  row("find_medical_alert", "Find Medical Alert", MA, { op: "GetMedicalAlert-Get" }),
  row("list_medical_alert_by_patient", "List Medical Alert By Patient", MA, {
    op: "ListMedicalAlerts-Get",
    parent: "patient_id",
    description: "Lists the medical alerts of one patient (patient_id), with q[] filters, sort and paging.",
  }),
  row("create_contact", "Create Contact", CT, {
    op: "CreateContact-Post",
    description: "Creates a contact (a referring doctor, third-party payer or other contact; not a patient).",
  }),
  row("update_contact", "Update Contact", CT, { op: "UpdateContact-Patch" }),
  row("find_contact", "Find Contact", CT, { op: "GetContact-Get", search: { email: "caseless" } }),
  row("delete_contact", "Delete Contact", CT, {
    op: "ArchiveContact-Post",
    description:
      "Archives a contact. Cliniko's API cannot delete contacts permanently: the contact leaves the lists but stays in Cliniko.",
  }),
  row("create_patient", "Create Patient", PA, { op: "CreatePatient-Post" }),
  row("update_patient", "Update Patient", PA, { op: "UpdatePatient-Patch" }),
  row("find_patient", "Find Patient", PA, { op: "GetPatient-Get", search: { email: "caseless" } }),
  row("delete_patient", "Delete Patient", PA, {
    op: "ArchivePatient-Post",
    description:
      "Archives a patient. Cliniko's API cannot delete patients permanently: the patient leaves the lists but stays in Cliniko (and can be unarchived there).",
  }),
  row("create_patient_case", "Create Patient Case", PC, { op: "CreatePatientCase-Post" }),
  row("update_patient_case", "Update Patient Case", PC, { op: "UpdatePatientCase-Patch" }),
  row("find_patient_case", "Find Patient Case", PC, { op: "GetPatientCase-Get" }),
  row("archive_patient_case", "Archive Patient Case", PC, { op: "ArchivePatientCase-Post" }),
  row("list_patient_cases", "List Patient Cases", PC, { op: "ListPatientCases-Get" }),
  row("list_active_patient_cases", "List Active Patient Cases", PC, {
    op: "ListActivePatientCases-Get",
    description: "Lists the open (not closed, not expired) patient cases with q[] filters, sort and paging.",
  }),
  row("create_availability_block", "Create Availability Block", AB, {
    op: "CreateAvailabilityBlock-Post",
    description:
      "Adds extra available time for a practitioner at a business (Cliniko's availability block). Breaks and time off are unavailable blocks, which this does not create.",
  }),
  row("list_availability_block_ids", "List Availability Block ID's", AB, {
    handler: "availabilityBlockIds",
    op: "ListAvailabilityBlocks-Get",
    description: "Lists the ids of every availability block of a practitioner and/or a business (all pages).",
  }),
  row("get_availability_block", "Get Availability Block", AB, { op: "GetAvailabilityBlock-Get" }),
  row("create_treatment_note", "Create Treatment Note", TN, { op: "CreateTreatmentNote-Post" }),
  row("find_treatment_note", "Find Treatment Note", TN, {
    op: "GetTreatmentNote-Get",
    search: {
      patient_id: "filter",
      booking_id: "filter",
      attendee_id: "filter",
      practitioner_id: "filter",
      treatment_note_template_id: "filter",
    },
  }),
  row("create_product", "Create Product", PD, { op: "CreateProduct-Post" }),
  row("update_product", "Update Product", PD, { op: "UpdateProduct-Patch" }),
  row("find_product", "Find Product", PD, { op: "GetProduct-Get", search: { name: "filter", item_code: "client" } }),
  row("find_appointment_type", "Find Appointment Type", AT, { op: "GetAppointmentType-Get" }),
  row("create_appointment_type", "Create Appointment Type", AT, { op: "CreateAppointmentType-Post" }),
  row("update_appointment_type", "Update Appointment Type", AT, { op: "UpdateAppointmentType-Patch" }),
  row("archive_appointment_type", "Archive Appointment Type", AT, { op: "ArchiveAppointmentType-Post" }),
  row("list_appointment_types", "List Appointment Types", AT, { op: "ListAppointmentTypes-Get" }),
  row("list_appointment_types_of_practitioner", "List Appointment Types Of Practitioner", AT, {
    op: "ListAppointmentTypesForPractitioner-Get",
    description: "Lists the appointment types a practitioner offers.",
  }),
  row("create_appointment_type_billable_item", "Create Appointment Type Billable Item", ATBI, {
    op: "CreateAppointmentTypeBillableItem-Post",
  }),
  row("update_appointment_type_billable_item", "Update Appointment Type Billable Item", ATBI, {
    op: "UpdateAppointmentTypeBillableItem-Patch",
  }),
  row("find_appointment_type_billable_item", "Find Appointment Type Billable Item", ATBI, {
    op: "GetAppointmentTypeBillableItem-Get",
  }),
  row("list_appointment_type_billable_items", "List Appointment Type Billable Items", ATBI, {
    op: "ListAppointmentTypeBillableItems-Get",
  }),
  row("delete_appointment_type_billable_item", "Delete Appointment Type Billable Item", ATBI, {
    op: "DeleteAppointmentTypeBillableItem-Delete",
  }),
  row("create_appointment_type_product", "Create Appointment Type Product", ATP, {
    op: "CreateAppointmentTypeProduct-Post",
  }),
  row("update_appointment_type_product", "Update Appointment Type Product", ATP, {
    op: "UpdateAppointmentTypeProduct-Patch",
  }),
  row("find_appointment_type_product", "Find Appointment Type Product", ATP, { op: "GetAppointmentTypeProduct-Get" }),
  row("list_appointment_type_products", "List Appointment Type Products", ATP, {
    op: "ListAppointmentTypeProducts-Get",
  }),
  row("delete_appointment_type_product", "Delete Appointment Type Product", ATP, {
    op: "DeleteAppointmentTypeProduct-Delete",
  }),
  row("create_billable_item", "Create Billable Item", BI, { op: "CreateBillableItem-Post" }),
  row("update_billable_item", "Update Billable Item", BI, { op: "UpdateBillableItem-Patch" }),
  row("find_billable_item", "Find Billable Item", BI, { op: "GetBillableItem-Get" }),
  row("list_billable_items", "List Billable Items", BI, { op: "ListBillableItems-Get" }),
  row("archive_billable_item", "Archive Billable Item", BI, { op: "ArchiveBillableItem-Post" }),
  row("create_attendee", "Create Attendee", ATT, {
    op: "CreateAttendee-Post",
    description: "Adds a patient to a group appointment (booking_id) as an attendee.",
  }),
  row("update_attendee", "Update Attendee", ATT, { op: "UpdateAttendee-Patch" }),
  row("find_attendee", "Find Attendee", ATT, { op: "GetAttendee-Get" }),
  row("list_attendees", "List Attendees", ATT, { op: "ListAttendees-Get" }),
  row("archive_attendee", "Archive Attendee", ATT, { op: "ArchiveAttendee-Post" }),
  row("cancel_attendee", "Cancel Attendee", ATT, {
    op: "CancelAttendee-Patch",
    description:
      "Cancels an attendee of a group appointment, with a cancellation reason (individual appointments: use Cancel Individual Appointment).",
  }),
];

// ---------------------------------------------------------------------------------------------
// Deriving definitions

function kindOf(op: OperationSpec): ActionKind {
  if (op.method === "GET") return op.response.kind === "list" ? "list" : "find";
  if (op.method === "POST" && op.path.endsWith("/archive")) return "archive";
  if (op.method === "POST" && op.path.endsWith("/unarchive")) return "unarchive";
  if (op.method === "PATCH" && op.path.endsWith("/cancel")) return "cancel";
  if (op.method === "POST") return "create";
  if (op.method === "PATCH" || op.method === "PUT") return "update";
  return "delete";
}

function resourceOf(op: OperationSpec): ResourceName | undefined {
  const name = op.response.kind === "list" ? op.response.key : op.path.split("/")[1];
  return name && name in resources ? (name as ResourceName) : undefined;
}

export function bodyFields(op: OperationSpec): Record<string, SchemaNode> {
  return op.body ? schemaFields(op.body) : {};
}

function recordSample(node: SchemaNode | undefined): unknown {
  if (!node) return null;
  return node.$ref ? sampleRecord(node.$ref) : sampleOf(node);
}

type Shape = Record<string, z.ZodType>;

function scopeShape(op: OperationSpec): Shape {
  return Object.fromEntries(op.pathParams.map((p) => [p, clinikoId()]));
}

function listInputShape(op: OperationSpec, row: ActionRow): Shape {
  const shape: Shape = {};
  for (const p of op.pathParams) shape[p] = clinikoId();
  if (row.parent) shape[row.parent] = clinikoId();
  return {
    ...shape,
    ...listOptionsShape(op.filters ?? {}, (op.response.kind === "list" && op.response.key) || "records"),
  };
}

function inputOf(kind: ActionKind, op: OperationSpec, res: ResourceName | undefined, row: ActionRow): z.ZodType {
  const collection = res ?? op.path.split("/")[1]!;
  const ref = { id: idOrUrl([collection]) };
  switch (kind) {
    case "create": {
      const required = res ? resource(res).requiredOnCreate : [];
      return bodySchema(bodyFields(op), required);
    }
    case "update": {
      const fields = bodySchema(bodyFields(op)).shape;
      // A record reached through its parent (`/patients/{patient_id}/referral_source`): the parent's id picks it.
      if (isScoped(op)) return z.strictObject({ ...scopeShape(op), ...fields });
      return z
        .strictObject({ ...ref, ...fields })
        .refine((v) => Object.keys(v).some((k) => k !== "id"), { message: "give at least one field to change" });
    }
    case "cancel": {
      // A field the document marks non-nullable (cancellation_reason) must be sent.
      return z.strictObject({ ...ref, ...bodySchema(bodyFields(op), nonNullableFields(bodyFields(op))).shape });
    }
    case "find": {
      // A record the connection itself names (`GET /user`): nothing to pick.
      if (op.pathParams.length === 0) return z.strictObject({});
      if (isScoped(op)) return z.strictObject(scopeShape(op));
      if (!row.search) return z.strictObject(ref);
      const filters = op.response.kind === "record" && res ? resource(res).filters : {};
      const shape: Shape = { id: ref.id.optional() };
      for (const [field, mode] of Object.entries(row.search)) {
        const type = mode === "filter" ? filters[field] : "string";
        shape[field] = (
          type === "int64"
            ? clinikoId()
            : type === "integer"
              ? z.union([z.number().int(), z.string().regex(/^-?\d+$/, "must be an integer")])
              : z.string().min(1)
        ).optional();
      }
      const names = Object.keys(row.search);
      return z.strictObject(shape).superRefine((v, ctx) => {
        const given = Object.keys(v).filter((k) => v[k] !== undefined);
        if (given.length === 0) ctx.addIssue({ code: "custom", message: `give id or one of ${names.join(", ")}` });
        else if (given.includes("id") && given.length > 1)
          ctx.addIssue({ code: "custom", message: "give either id or search fields, not both" });
      });
    }
    case "list":
      return z.strictObject(listInputShape(op, row)).superRefine(checkPaging);
    default:
      return z.strictObject(ref);
  }
}

function outputSampleOf(kind: ActionKind, op: OperationSpec, res: ResourceName | undefined): unknown {
  const recordNode =
    op.response.kind === "record"
      ? op.response.schema
      : op.response.kind === "list"
        ? op.response.item
        : res
          ? { $ref: resource(res).recordSchema }
          : undefined;
  switch (kind) {
    case "list":
      return { records: [recordSample(recordNode)], total_entries: 1, next_page: null, truncated: false };
    case "archive":
      return { id: "1", archived: true };
    case "cancel":
      return { id: "1", cancelled: true };
    case "delete":
      return { id: "1", deleted: true };
    default:
      return recordSample(recordNode);
  }
}

function build(row: ActionRow): ActionDef {
  const op = typeof row.op === "string" ? operation(row.op) : row.op;
  const kind = row.kind ?? kindOf(op);
  const res = row.resource ?? resourceOf(op);
  const { method, path } = op;
  const custom = row.handler ? handlers[row.handler] : undefined;
  // Schemas are built on first use: a CLI call that runs one action should not pay for all 98.
  let input: z.ZodType | undefined;
  let inputSchema: ActionDef["inputSchema"] | undefined;
  let outputSample: unknown;
  const inputOfRow = () => {
    input ??= custom ? custom.input() : inputOf(kind, op, res, row);
    return input;
  };
  const schemaOfRow = () => {
    inputSchema ??= explainSchema(jsonSchemaOf(inputOfRow()));
    return inputSchema;
  };
  const ctx: RunContext = {
    key: row.key,
    op,
    resource: res,
    search: row.search,
    parent: row.parent,
    id: (client, field, value) => resolveId(client, row.key, field, value),
  };
  return {
    key: row.key,
    title: row.title,
    source: row.source ?? "brief",
    group: row.group,
    kind,
    description: row.description ?? describe(kind, res, row, op),
    method,
    path,
    documented: row.documented ?? true,
    ...(res ? { resource: res } : {}),
    get input() {
      return inputOfRow();
    },
    get inputSchema() {
      return schemaOfRow();
    },
    get outputSample() {
      outputSample ??= outputWithLinkIds(custom?.outputSample ? custom.outputSample() : outputSampleOf(kind, op, res));
      return outputSample;
    },
    async run(client, raw) {
      const checked = resolveRefs(client, row.key, parseInput(row.key, inputOfRow(), raw) as Record<string, unknown>);
      const parsed = await inClinicTime(client, row.key, schemaOfRow(), checked);
      const output = await (custom ? custom.run(ctx, client, parsed) : runGeneric(kind, ctx, client, parsed));
      return outputWithLinkIds(output);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Beyond the brief: every other operation of the API document, derived (no row written by hand)

/** What an api row says beyond its generic description, by operationId (only where the path does not say it). */
const API_DESCRIPTIONS: Partial<Record<string, string>> = {
  "GetAuthenticatedUser-Get": "Gets the Cliniko user the connection's API key belongs to.",
  "ListTreatmentNotesForPatient-Get": "Lists the treatment notes of one patient with q[] filters, sort and paging.",
};

const VERBS = ["Find", "Get", "List", "Create", "Update", "Archive", "Unarchive", "Cancel", "Delete"];
const words = (s: string) => s.split(/(?<=[a-z])(?=[A-Z])/);
const titleCase = (s: string) =>
  s.replace(/(^|[\s_])([a-z])/g, (_, sep: string, c: string) => `${sep ? " " : ""}${c.toUpperCase()}`);

/**
 * The brief's style from an operationId: `UnarchivePatient-Post` → Unarchive Patient; a single-record
 * GET by id is a Find (`GetConcessionType-Get` → Find Concession Type), as in the brief.
 */
function apiTitle(op: OperationSpec): string {
  const named = words(op.operationId.replace(/-[A-Za-z]+$/, ""));
  // An operationId without a verb (`PresignedPost-Get`) reads as a Get.
  const [verb, ...rest] = VERBS.includes(named[0] ?? "") ? named : ["Get", ...named];
  const find = verb === "Get" && op.response.kind === "record" && op.pathParams.includes("id");
  return [find ? "Find" : verb, ...rest].join(" ");
}

/** Every group name used by the brief for a resource, so api rows sit beside the brief's rows in the UI. */
function groupOf(res: ResourceName | undefined, op: OperationSpec, briefRows: readonly ActionRow[]): string {
  // Operations of no resource (`GET /user`, `GET /settings`) are grouped by their path root.
  if (!res) return op.path === "/user" ? "Users" : titleCase(op.path.split("/")[1] ?? "");
  // Custom rows are left out: their main operation may sit under another resource (available times under /businesses).
  const brief = briefRows.find(
    (r) => !r.handler && (r.resource ?? resourceOf(typeof r.op === "string" ? operation(r.op) : r.op)) === res,
  );
  return brief?.group ?? titleCase(pluralLabel(res));
}

/** One row per non-deprecated operation that no brief row calls, in the document's order. */
export function deriveApiRows(briefRows: readonly ActionRow[]): ActionRow[] {
  const called = new Set(briefRows.map((r) => (typeof r.op === "string" ? r.op : r.op.operationId)));
  const keys = new Set(briefRows.map((r) => r.key));
  const out: ActionRow[] = [];
  for (const op of spec.operations) {
    if (op.deprecated || called.has(op.operationId)) continue;
    const title = apiTitle(op);
    const key = title.toLowerCase().replace(/[^a-z0-9]+/g, "_");
    if (keys.has(key)) throw new Error(`Derived action key ${key} (${op.operationId}) collides with another action`);
    keys.add(key);
    const res = resourceOf(op) ?? (op.path === "/user" ? "users" : undefined);
    out.push({
      key,
      title,
      group: groupOf(res, op, briefRows),
      op: op.operationId,
      source: "api",
      ...(res ? { resource: res } : {}),
      ...(API_DESCRIPTIONS[op.operationId] ? { description: API_DESCRIPTIONS[op.operationId] } : {}),
    });
  }
  return out;
}

export const apiRows: readonly ActionRow[] = deriveApiRows(actionRows);

/** Answers clinics ask for that no single operation gives, computed from Cliniko's reads. */
export const flowRows: readonly ActionRow[] = [
  {
    key: "list_patients_with_birthday",
    title: "List Patients With Birthday",
    group: "Patients",
    op: "ListPatients-Get",
    kind: "custom",
    resource: "patients",
    handler: "patientsWithBirthday",
    source: "flow",
    description:
      "Lists the live patients whose birthday is on a date (default today, in the clinic's time zone), matched by day and month; 29 February birthdays fall on 28 February in other years. Reads every patient (one request per 100): Cliniko cannot filter birthdays.",
  },
  {
    key: "find_or_create_patient",
    title: "Find or Create Patient",
    group: "Patients",
    // The create is the step's write: like any create it is never repeated once it may have been sent.
    op: "CreatePatient-Post",
    kind: "custom",
    resource: "patients",
    handler: "findOrCreatePatient",
    source: "flow",
    description:
      "Finds the live patient with this email (regardless of case), else with this first name, last name and date of birth, and creates one with the given fields when none matches (the oldest match wins). Gives { patient, created }.",
  },
];

export const actions: readonly ActionDef[] = Object.freeze([...actionRows, ...apiRows, ...flowRows].map(build));
