/**
 * The words clinics use, so the editor's search finds a trigger or an action by them ("booking",
 * "no show", "bill") and lists the groups clinics reach for most first. Keys are catalogue action
 * or trigger keys (built-in steps declare theirs in the step registry); a key with no entry is found by its title, key and group alone.
 */

const BOOKED = ["booking", "booked", "appointment booked", "new appointment", "new booking", "online booking"];
const DNA = ["no show", "did not arrive", "dna", "missed appointment", "arrived"];
/** A patient who did not come: the clinic's words for the state, spelled every way they type it. */
const NO_SHOW = ["no show", "did not arrive", "dna", "missed appointment", "absent", "failed to attend"];
const ARRIVED = ["arrived", "checked in", "check in", "in the waiting room"];
const BILL = ["bill", "billing", "payment", "paid", "overdue", "money"];

export const KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  // Triggers
  individual_appointment_created: BOOKED,
  group_appointment_created: [...BOOKED, "class", "group booking"],
  new_attendee: ["booking", "class", "joined"],
  individual_appointment_updated: ["reschedule", "rescheduled", "moved", ...DNA],
  updated_attendee: DNA,
  attendee_arrived: ["class", "arrived", "checked in", "attendance"],
  attendee_did_not_arrive: ["class", "no show", "did not arrive", "dna", "missed class"],
  patient_arrived: [...ARRIVED, "arrival"],
  appointment_marked_did_not_arrive: NO_SHOW,
  before_appointment: [
    "reminder",
    "appointment reminder",
    "sms reminder",
    "email reminder",
    "confirm",
    "24 hours before",
    "upcoming",
  ],
  after_appointment: ["follow-up", "follow up", "feedback", "review", "survey", "thank you", "aftercare"],
  patient_due_for_recall: ["recall", "reactivation", "lapsed", "rebook", "come back", "check-up", "due"],
  individual_appointment_cancelled: ["cancellation", "cancelled booking", "cancel", "cancelled"],
  patient_form_completed: ["form completed", "intake form", "questionnaire", "consent form", "form submitted"],
  treatment_note_finalised: ["clinical note", "notes signed", "note finalised"],
  cancelled_attendee: ["cancellation", "cancel", "class"],
  group_appointment_updated: ["reschedule", "class"],
  new_invoice: [...BILL, "invoice created"],
  updated_invoice: BILL,
  new_patient: ["new client", "registration", "sign up", "intake", "form", "welcome"],
  updated_patient: ["patient details", "form", "birthday", "consent"],
  new_patient_case: ["case", "condition", "episode", "claim"],
  new_added_communication: ["message", "sms", "email", "letter", "memo"],
  new_availability_block: ["availability", "roster", "extra hours"],
  updated_availability_block: ["availability", "roster"],
  updated_practitioner: ["availability", "staff", "clinician"],
  new_added_practitioner: ["staff", "clinician", "new practitioner"],
  // Actions
  create_medical_alert: ["alert", "flag", "warning", "allergy"],
  create_communication: ["note", "log", "memo", "message", "follow-up"],
  create_treatment_note: ["clinical note", "notes", "form"],
  create_individual_appointment: ["book", "booking", "schedule"],
  update_individual_appointment: ["reschedule", "move", ...DNA],
  cancel_individual_appointment: ["cancellation", "cancel booking"],
  list_individual_appointments: ["tomorrow's appointments", "day list", "recall", "schedule"],
  find_appointment: ["booking"],
  list_bookings: ["booking", "diary", "calendar"],
  list_invoices: [...BILL, "outstanding"],
  find_invoice: BILL,
  find_patient: ["client", "look up", "search", "email"],
  create_patient: ["new client", "registration"],
  find_or_create_patient: ["new client", "registration", "intake form", "match", "duplicate", "upsert", "look up"],
  update_patient: ["client details", "consent"],
  get_next_available_time: ["availability", "free slot", "next opening"],
  get_all_available_time: ["availability", "free slots", "openings"],
};

/** Groups in the order clinics reach for them; groups not listed follow, in catalogue order. */
const GROUP_ORDER = [
  "Appointment Reminders & Follow-ups",
  "Patients",
  "Patients & Contacts",
  "Individual Appointments",
  "Appointments",
  "Group Appointments",
  "Bookings",
  "Attendees",
  "Invoices",
  "Invoices & Invoice Items",
  "Communications",
  "Medical Alerts",
  "Treatment Notes",
  "Patient Cases",
  "Practitioners",
  "Availability Blocks",
  "Built-in steps",
];

/** The rank of a group for listing (lower first). */
export function groupRank(group: string): number {
  const i = GROUP_ORDER.indexOf(group);
  return i === -1 ? GROUP_ORDER.length : i;
}

export function keywordsOf(key: string): string[] {
  return [...(KEYWORDS[key] ?? [])];
}
