/**
 * The class flag triggers in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the
 * short variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, an
 * `attendee_arrived` workflow kept to Pilates classes and an `attendee_did_not_arrive` workflow kept
 * to Jane's classes, each writing a medical alert per run, and attendees marked arrived or no-show
 * over about a minute while workers are SIGKILLed and restarted. Every attendee marked after
 * switching on in a matching class fires once, within 60 s of the change; one marked before never
 * fires, though edited during the run; a fired one edited again never fires again; classes of
 * another type or practitioner never fire. Every write must land at most once (due-support.ts).
 */
import { until } from "../support/cli-process.ts";
import { at, dueScenarioTest, owedAt, quick, runDueScenario } from "./due-support.ts";

const CLASSES = Number(process.env.CLUSTER_DUE_CLASSES ?? (quick ? 8 : 30));
const PER_CLASS = 5;

dueScenarioTest(`${CLASSES} classes of ${PER_CLASS} marked`, "each flag once, on time", async (clinic) => {
  const { control: c, old, alertHolder } = clinic;
  const [pilates, yoga] = ["Pilates", "Yoga"].map((name) => c.create("appointment_types", { name, ...old }));
  const [jane, bob] = ["Jane", "Bob"].map((first_name) => c.create("practitioners", { first_name, ...old }));
  const arrivals = await clinic.watch(
    "pilates arrivals",
    { key: "attendee_arrived", options: { appointment_types: [pilates!.id] } },
    "arrived",
    "{{ trigger.id }}",
  );
  const noShows = await clinic.watch(
    "jane's no-shows",
    { key: "attendee_did_not_arrive", options: { practitioners: [jane!.id] } },
    "no-show",
    "{{ trigger.id }}",
  );
  const T0 = noShows.switchedOnAt;

  // Classes running now. In each: attendee 0 arrived and 1 a no-show before switching on (edited
  // during the run); 2 and 4 arrive during it, 3 does not; 4 is edited again after it arrived.
  const arrived = arrivals.expected;
  const missed = noShows.expected;
  const marks: { id: string; values: Record<string, unknown>; owed?: Map<string, number> }[] = [];
  const edits: { id: string; values: Record<string, unknown> }[] = [];
  for (let k = 0; k < CLASSES; k++) {
    const isPilates = k % 3 !== 2;
    const isJane = k % 4 !== 3;
    const klass = c.create("group_appointments", {
      appointment_type_id: (isPilates ? pilates : yoga)!.id,
      practitioner_id: (isJane ? jane : bob)!.id,
      starts_at: at(T0 - 300_000),
      ends_at: at(T0 + 3_300_000),
      archived_at: null,
      deleted_at: null,
      ...old,
    });
    const [arrivedBefore, missedBefore, a2, a3, a4] = [true, false, null, null, null].map(
      (flag) =>
        c.create("attendees", {
          booking_id: klass.id,
          patient_id: alertHolder,
          arrived: flag,
          cancelled_at: null,
          archived_at: null,
          deleted_at: null,
          ...old,
        }).id,
    ) as [string, string, string, string, string];
    marks.push({ id: a2, values: { arrived: true }, owed: isPilates ? arrived : undefined });
    marks.push({ id: a3, values: { arrived: false }, owed: isJane ? missed : undefined });
    marks.push({ id: a4, values: { arrived: true }, owed: isPilates ? arrived : undefined });
    edits.push(
      { id: arrivedBefore, values: { notes: "great class" } },
      { id: missedBefore, values: { notes: "called" } },
    );
    edits.push({ id: a4, values: { notes: "came late" } });
  }

  // The marks spread over the minute of kills, each edit 10 s after a mark. An edit of a record
  // flagged before switching on counts as old only once the workflow's first poll has recorded
  // what was flagged (docs/triggers.md, limits): the edits wait for those snapshots, which a
  // cluster slow to start on a loaded machine may take more than the first seconds to make.
  const snapshots = async () =>
    (await clinic.store.database.db.selectFrom("trigger_snapshots").select("workflow_id").execute()).length;
  const firstEdit = owedAt(T0, 0, edits.length) + 10_000;
  const changes = [
    {
      at: firstEdit - 1,
      make: () => until("the switch-on snapshots are taken", async () => (await snapshots()) === 2, 60_000),
    },
    ...marks.map((m, i) => ({
      at: owedAt(T0, i, marks.length),
      make: () => {
        const row = c.update("attendees", m.id, m.values);
        m.owed?.set(m.id, Date.parse(row.updated_at as string));
      },
    })),
    ...edits.map((e, i) => ({
      at: Math.min(owedAt(T0, i, edits.length) + 10_000, T0 + 80_000),
      make: () => c.update("attendees", e.id, e.values),
    })),
  ];
  await runDueScenario("due-flags", clinic, { T0, checks: [arrivals, noShows], changes });
});
