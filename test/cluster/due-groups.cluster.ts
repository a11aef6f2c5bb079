/**
 * Group-class reminders in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the short
 * variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, one
 * `before_appointment` workflow (`before: "2m"`) that writes a medical alert per reminder, and
 * classes of five attendees coming due over about a minute while workers are SIGKILLed and
 * restarted. Every attendee must be reminded exactly once, within 60 s of the due time; never a
 * cancelled attendee or an attendee of an archived class; a class moved before it is due only for
 * its new time. Every write must land at most once (due-support.ts).
 */
import { at, dueScenarioTest, iso, owedAt, quick, runDueScenario, watchReminders } from "./due-support.ts";

const CLASSES = Number(process.env.CLUSTER_DUE_CLASSES ?? (quick ? 8 : 30));
const PER_CLASS = 5;

dueScenarioTest(`${CLASSES} classes of ${PER_CLASS} coming due`, "each attendee once, on time", async (clinic) => {
  const { control: c, old } = clinic;
  const patients = Array.from({ length: PER_CLASS }, (_, i) =>
    c.create("patients", { first_name: `Member ${i}`, reminder_type: "SMS", ...old }),
  );
  const reminders = await watchReminders(clinic, "class reminders", "due-groups");
  const T0 = reminders.switchedOnAt;
  // Classes due between 15 s and 75 s after switching on; in each, one attendee in ten cancels.
  const cancelled: string[] = [];
  const classes = [];
  for (let k = 0; k < CLASSES; k++) {
    const starts = owedAt(T0, k, CLASSES) + 120_000;
    const klass = c.create("group_appointments", {
      starts_at: at(starts),
      ends_at: at(starts + 3_600_000),
      archived_at: null,
      deleted_at: null,
      ...old,
    });
    const attendees = patients.map((p) =>
      c.create("attendees", {
        booking_id: klass.id,
        patient_id: p.id,
        arrived: null,
        cancelled_at: null,
        archived_at: null,
        deleted_at: null,
        ...old,
      }),
    );
    classes.push({ klass, attendees });
  }
  // The last class is archived and the middle one moved 20 s later, both before they are due.
  const archived = classes[CLASSES - 1]!;
  const moved = classes[Math.floor(CLASSES / 2)]!;
  const movedTo = Date.parse(moved.klass.starts_at as string) + 20_000;
  classes.forEach(({ klass, attendees }, k) => {
    if (klass === archived.klass) return;
    const starts = klass === moved.klass ? movedTo : Date.parse(klass.starts_at as string);
    attendees.forEach((a, i) => {
      if ((k * PER_CLASS + i) % 10 === 3) cancelled.push(a.id);
      else reminders.expected.set(`attendee:${a.id}@${iso(at(starts))}`, starts - 120_000);
    });
  });
  const changeAt = Date.now() + 5000;
  await runDueScenario("due-groups", clinic, {
    T0,
    checks: [reminders],
    changes: [
      ...cancelled.map((id) => () => c.cancel("attendees", id, { cancellation_reason: 50 })),
      () => c.archive("group_appointments", archived.klass.id),
      () =>
        c.update("group_appointments", moved.klass.id, { starts_at: at(movedTo), ends_at: at(movedTo + 3_600_000) }),
    ].map((make) => ({ at: changeAt, make })),
  });
});
