/**
 * Tools come in named toolsets so an assistant's context is not spent on 190 definitions. A
 * catalogue action's toolset follows from its catalogue group (one table below: a new action in
 * an existing group needs nothing here, and a new group fails loudly until it is placed); the
 * automation's tools are `automation`; each job tool names its own. `default` is the job tools
 * plus the reads and writes a front desk uses most; `all` is every tool.
 */
import { closest } from "../catalog/index.ts";

export const TOOLSETS = ["patients", "scheduling", "billing", "clinical", "admin", "automation"] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** What `--toolsets` accepts besides the toolsets themselves. */
export const SPECIAL_TOOLSETS = ["default", "all"] as const;

/** Each catalogue group's toolset. */
const GROUP_TOOLSET: Readonly<Record<string, Toolset>> = {
  Patients: "patients",
  Contacts: "patients",
  "Patient Cases": "patients",
  Relationships: "patients",
  "Referral Sources": "patients",
  "Referral Source Types": "patients",
  Communications: "patients",
  "Patient Attachments": "patients",
  Appointments: "scheduling",
  Bookings: "scheduling",
  Attendees: "scheduling",
  "Availability Blocks": "scheduling",
  "Unavailable Blocks": "scheduling",
  "Unavailable Block Types": "scheduling",
  "Daily Availabilities": "scheduling",
  "Appointment Types": "scheduling",
  Practitioners: "scheduling",
  "Invoices & Invoice Items": "billing",
  "Billable Items": "billing",
  "Appointment Type Billable Items": "billing",
  "Appointment Type Products": "billing",
  Products: "billing",
  "Product Suppliers": "billing",
  "Stock Adjustments": "billing",
  "Concession Prices": "billing",
  "Concession Types": "billing",
  Taxes: "billing",
  "Treatment Notes": "clinical",
  "Treatment Note Templates": "clinical",
  "Medical Alerts": "clinical",
  "Patient Forms": "clinical",
  "Patient Form Templates": "clinical",
  Businesses: "admin",
  Services: "admin",
  "Practitioner Reference Numbers": "admin",
  Users: "admin",
  Settings: "admin",
};

/** The toolset of a catalogue group; a group no one has placed is a programming error. */
export function toolsetOfGroup(group: string): Toolset {
  const set = GROUP_TOOLSET[group];
  if (!set) throw new Error(`The catalogue group "${group}" has no MCP toolset (src/mcp/toolsets.ts).`);
  return set;
}

/**
 * The catalogue actions and automation tools in the default toolset, besides every job tool: the
 * reads and writes behind the questions a front desk asks most.
 */
export const DEFAULT_TOOLS: readonly string[] = [
  "find_patient",
  "create_patient",
  "update_patient",
  "list_patients",
  "find_appointment",
  "list_individual_appointments",
  "create_individual_appointment",
  "update_individual_appointment",
  "get_next_available_time",
  "list_practitioners",
  "list_businesses",
  "list_appointment_types",
  "find_invoice",
  "list_invoices",
  "list_treatment_notes_for_patient",
  "list_medical_alert_by_patient",
  "list_patient_cases",
  "list_communications",
  "create_communication",
  "flow_list_workflows",
  "flow_list_runs",
  "flow_show_run",
  "flow_poll_trigger",
  "flow_check_workflow",
  "flow_save_workflow",
];

/** Why `--toolsets` is wrong (a name that is no toolset: a typo would offer the wrong tools); undefined when fine. */
export function toolsetsProblem(names: readonly string[]): string | undefined {
  const known: readonly string[] = [...TOOLSETS, ...SPECIAL_TOOLSETS];
  const bad = names.find((n) => !known.includes(n));
  if (bad === undefined) return undefined;
  const hint = closest(bad, known);
  return `--toolsets (CLINIKO_FLOW_MCP_TOOLSETS) names "${bad}", which is not a toolset${hint ? ` (did you mean "${hint}"?)` : ""}; the toolsets are ${known.join(", ")}.`;
}

/** Whether a tool (its name, toolset and whether it is a job tool) is in the chosen toolsets. */
export function inToolsets(chosen: readonly string[], tool: { name: string; toolset: string; job?: boolean }): boolean {
  if (chosen.includes("all") || chosen.includes(tool.toolset)) return true;
  return chosen.includes("default") && (tool.job === true || DEFAULT_TOOLS.includes(tool.name));
}
