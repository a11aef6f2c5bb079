/**
 * The time-relative triggers in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the
 * short variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, one
 * `before_appointment` workflow (`before: "2m"`) that writes a medical alert per reminder, and
 * appointments coming due over about a minute while workers are SIGKILLed and restarted. Every due
 * appointment must be queued exactly once (never a cancelled one), within 60 s of its due time, and
 * every write must land at most once (due-support.ts).
 */
import { at, dueScenarioTest, iso, owedAt, quick, runDueScenario, watchReminders } from "./due-support.ts";

const APPOINTMENTS = Number(process.env.CLUSTER_DUE_APPOINTMENTS ?? (quick ? 30 : 150));

dueScenarioTest(`${APPOINTMENTS} reminders coming due`, "each once, on time", async (clinic) => {
  const { control: c, old } = clinic;
  const patient = c.create("patients", { first_name: "Ada", reminder_type: "SMS", ...old });
  const reminders = await watchReminders(clinic, "sms reminders", "due");
  const T0 = reminders.switchedOnAt;
  // Due between 15 s and 75 s after switching on; every tenth is cancelled before it is due.
  const cancelled: string[] = [];
  for (let i = 0; i < APPOINTMENTS; i++) {
    const starts = owedAt(T0, i, APPOINTMENTS) + 120_000;
    const a = c.create("individual_appointments", {
      patient_id: patient.id,
      starts_at: at(starts),
      ends_at: at(starts + 1_800_000),
      did_not_arrive: false,
      patient_arrived: false,
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
      ...old,
    });
    if (i % 10 === 5) cancelled.push(a.id);
    else reminders.expected.set(`${a.id}@${iso(a.starts_at)}`, Date.parse(a.starts_at as string) - 120_000);
  }
  const cancelAt = Date.now() + 5000;
  await runDueScenario("due", clinic, {
    T0,
    checks: [reminders],
    changes: cancelled.map((id) => ({
      at: cancelAt,
      make: () => c.cancel("individual_appointments", id, { cancellation_reason: 50 }),
    })),
  });
});
