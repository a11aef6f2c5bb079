/**
 * One patient's data in run history, for a clinic's privacy duties: find every run that mentions
 * a Cliniko patient (its trigger event or any step's input or output), export them, or erase them.
 *
 * A run mentions the patient when its data holds the patient's id where Cliniko puts patient
 * references: a `patient_id` field, a link to `/patients/<id>`, or — for a trigger on the patients
 * resource — the event's own `id`. Webhook posts and other apps' data that carry a patient only by
 * name or email are not recognised: docs/security.md says so.
 */
import { trigger as catalogTrigger } from "../catalog/index.ts";
import { isRunEnded, type RunRecord, type StepRecord, type Store } from "../store/index.ts";

export interface PatientRun {
  run: RunRecord;
  steps: StepRecord[];
}

const PAGE = 200;

/** Whether `value` (JSON data) refers to the patient `id`. */
export function mentionsPatient(value: unknown, id: string, depth = 0): boolean {
  if (depth > 64 || value === null || value === undefined) return false;
  if (typeof value === "string") return linksTo(value, id);
  if (Array.isArray(value)) return value.some((v) => mentionsPatient(v, id, depth + 1));
  if (typeof value !== "object") return false;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === "patient_id" && (typeof v === "string" || typeof v === "number") && String(v) === id) return true;
    if (mentionsPatient(v, id, depth + 1)) return true;
  }
  return false;
}

const linksTo = (s: string, id: string) => {
  const at = s.indexOf(`/patients/${id}`);
  if (at < 0) return false;
  const next = s[at + `/patients/${id}`.length];
  return next === undefined || next === "/" || next === "?" || next === "#";
};

function isPatientTrigger(key: string): boolean {
  try {
    return catalogTrigger(key).resource === "patients";
  } catch {
    return false; // schedule, webhook
  }
}

function mentions(run: RunRecord, steps: StepRecord[], id: string): boolean {
  const payload = run.triggerPayload as { id?: unknown } | null;
  if (payload && isPatientTrigger(run.trigger) && String(payload.id) === id) return true;
  if (mentionsPatient(payload, id) || mentionsPatient(run.details, id)) return true;
  // An error's details may echo what was sent (a 422 repeats the patient's fields).
  return steps.some(
    (s) => mentionsPatient(s.input, id) || mentionsPatient(s.output, id) || mentionsPatient(s.details, id),
  );
}

/** Every run whose data mentions the patient, oldest first, with its steps. */
export async function patientRuns(store: Store, patientId: string): Promise<PatientRun[]> {
  const id = patientId.trim();
  if (!/^\d+$/.test(id)) throw new Error(`A Cliniko patient id is a string of digits, not "${patientId}".`);
  const found: PatientRun[] = [];
  for (let after = 0; ; ) {
    const page = await store.runs.page(after, PAGE);
    if (page.length === 0) break;
    after = page.at(-1)!.id;
    for (const run of page) {
      const steps = await store.runs.steps(run.id);
      if (mentions(run, steps, id)) found.push({ run, steps });
    }
  }
  return found;
}

/** The patient's runs for an export request, which the audit log records (who asked, how many). */
export async function exportPatient(store: Store, patientId: string, actor: string): Promise<PatientRun[]> {
  const found = await patientRuns(store, patientId);
  await store.audit.record(actor, "runs.patient_exported", `patient ${patientId.trim()}`, { runs: found.length });
  return found;
}

export interface PurgeResult {
  /** Runs erased. */
  erased: number;
  /** Runs left because they are still queued or running (erase again once they end). */
  inProgress: number;
}

/**
 * Erases the patient's runs (trigger event, step inputs and outputs, the runs themselves); runs
 * still queued or running are left and counted. The audit log records who erased how many.
 */
export async function purgePatient(store: Store, patientId: string, actor: string): Promise<PurgeResult> {
  const runs = await patientRuns(store, patientId);
  const done = runs.filter((r) => isRunEnded(r.run.status)).map((r) => r.run.id);
  const erased = await store.runs.remove(done);
  await store.audit.record(actor, "runs.patient_erased", `patient ${patientId.trim()}`, {
    erased,
    inProgress: runs.length - done.length,
  });
  return { erased, inProgress: runs.length - done.length };
}
