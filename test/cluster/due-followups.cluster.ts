/**
 * Follow-ups and recalls in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the
 * short variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, an
 * `after_appointment` and a `patient_due_for_recall` workflow (both `after: "1m"`) that write a
 * medical alert per run, and visits (individual appointments and class places, each its own
 * patient) coming due over about a minute while workers are SIGKILLed and restarted. Every visit
 * that happened gets one follow-up and its patient one recall, within 60 s of the due time; never
 * a cancelled visit, a no-show or (for the recall) a patient who booked again; a visit moved before
 * it is due only at its new time. Every write must land at most once (due-support.ts).
 */
import { at, dueScenarioTest, ITEM_NAME, iso, owedAt, quick, runDueScenario, timedKey } from "./due-support.ts";

const VISITS = Number(process.env.CLUSTER_DUE_VISITS ?? (quick ? 30 : 150));
const CLASSES = Math.max(1, Math.round(VISITS / 10));
const PER_CLASS = 3;
const AFTER_MS = 60_000;

dueScenarioTest(
  `${VISITS} visits and ${CLASSES} classes of ${PER_CLASS} ending`,
  "one follow-up and one recall each, on time",
  async (clinic) => {
    const { control: c, old } = clinic;
    const live = { cancelled_at: null, archived_at: null, deleted_at: null };
    const patient = () => c.create("patients", { first_name: "Visitor", ...old }).id;
    const followUps = await clinic.watch(
      "follow-ups",
      { key: "after_appointment", options: { after: "1m" } },
      "follow-up",
      timedKey("ends_at"),
    );
    const recalls = await clinic.watch(
      "recalls",
      { key: "patient_due_for_recall", options: { after: "1m" } },
      "recall",
      `{{ trigger.patient_id }}@${ITEM_NAME}`,
    );
    const T0 = recalls.switchedOnAt;
    /** Ends so that it comes due between 15 s and 75 s after switching on. */
    const endOf = (i: number, n: number) => owedAt(T0, i, n) - AFTER_MS;
    const follow = followUps.expected;
    const recall = recalls.expected;
    const owe = (name: string, patientId: string, endsMs: number, recalled = true) => {
      follow.set(`${name}@${iso(at(endsMs))}`, endsMs + AFTER_MS);
      if (recalled) recall.set(`${patientId}@${name}`, endsMs + AFTER_MS);
    };
    const changes: (() => unknown)[] = [];
    const visit = (p: string, endsMs: number) =>
      c.create("individual_appointments", {
        patient_id: p,
        starts_at: at(endsMs - 600_000),
        ends_at: at(endsMs),
        // The sandbox fills unnamed fields with sample values: these are a plain booking's.
        did_not_arrive: false,
        patient_arrived: false,
        ...live,
        ...old,
      });

    // Individual visits, by i % 10: 1 cancelled and 3 marked a no-show before they are due (neither
    // followed up nor recalled), 5 booked again (followed up, not recalled), 7 moved 20 s later.
    for (let i = 0; i < VISITS; i++) {
      const p = patient();
      const endsMs = Date.parse(at(endOf(i, VISITS)));
      const a = visit(p, endsMs);
      const kind = i % 10;
      if (kind === 1) changes.push(() => c.cancel("individual_appointments", a.id, { cancellation_reason: 50 }));
      else if (kind === 3) changes.push(() => c.update("individual_appointments", a.id, { did_not_arrive: true }));
      else if (kind === 7) {
        changes.push(() => c.update("individual_appointments", a.id, { ends_at: at(endsMs + 20_000) }));
        owe(a.id, p, endsMs + 20_000);
      } else {
        if (kind === 5) visit(p, Date.now() + 30 * 86_400_000);
        owe(a.id, p, endsMs, kind !== 5);
      }
    }
    // Classes: in each, one attendee marked a no-show and, in every other class, one cancelling.
    for (let k = 0; k < CLASSES; k++) {
      const endsMs = Date.parse(at(endOf(k, CLASSES)));
      const klass = c.create("group_appointments", {
        starts_at: at(endsMs - 3_600_000),
        ends_at: at(endsMs),
        archived_at: null,
        deleted_at: null,
        ...old,
      });
      for (let j = 0; j < PER_CLASS; j++) {
        const p = patient();
        const a = c.create("attendees", { booking_id: klass.id, patient_id: p, arrived: null, ...live, ...old });
        if (j === 1) changes.push(() => c.update("attendees", a.id, { arrived: false }));
        else if (j === 2 && k % 2 === 0) changes.push(() => c.cancel("attendees", a.id, { cancellation_reason: 50 }));
        else owe(`attendee:${a.id}`, p, endsMs);
      }
    }

    const changeAt = Date.now() + 5000;
    await runDueScenario("due-followups", clinic, {
      T0,
      checks: [followUps, recalls],
      changes: changes.map((make) => ({ at: changeAt, make })),
    });
  },
);
