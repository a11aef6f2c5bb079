import { type FormEvent, useState } from "react";
import { api, type DemoChange } from "../api.ts";
import { ErrorNotice, PageHead, useLoad } from "../components/ui.tsx";

/** The other changes, each with the trigger that notices it (its title in the trigger picker). */
const changes = [
  { key: "update-patient", label: "Update a patient", trigger: "Updated Patient" },
  { key: "cancel-appointment", label: "Cancel an upcoming appointment", trigger: "Individual Appointment Cancelled" },
  { key: "add-invoice", label: "Add an invoice", trigger: "New Invoice" },
];
const triggerOf: Record<string, string> = { "add-patient": "New Patient" };
for (const c of changes) triggerOf[c.key] = c.trigger;

const counted: [string, string][] = [
  ["patients", "patients"],
  ["individual_appointments", "appointments"],
  ["invoices", "invoices"],
  ["medical_alerts", "medical alerts"],
];

function Hint({ change }: { change: DemoChange }) {
  return (
    <p className="small" style={{ margin: "0.25rem 0 0" }}>
      {change.action === "add-patient"
        ? "The example workflow checks for new patients every 30 s; its run appears in "
        : `An active workflow with the ${triggerOf[change.action]} trigger picks this up at its next check; the run appears in `}
      <a href="#/runs">Run history</a>.
    </p>
  );
}

export function DemoPage() {
  const info = useLoad(() => api.demo.info());
  const [names, setNames] = useState({ firstName: "", lastName: "" });
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<DemoChange[]>([]);

  async function act(action: string, input: { firstName?: string; lastName?: string } = {}) {
    setBusy(action);
    setError(undefined);
    try {
      const change = await api.demo.act(action, input);
      setDone((list) => [change, ...list].slice(0, 5));
      if (action === "add-patient") setNames({ firstName: "", lastName: "" });
      await info.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  }

  function addPatient(e: FormEvent) {
    e.preventDefault();
    void act("add-patient", {
      firstName: names.firstName.trim() || undefined,
      lastName: names.lastName.trim() || undefined,
    });
  }

  const counts = info.data?.counts;
  return (
    <>
      <PageHead
        title="Demo clinic"
        subtitle="A fictitious clinic in the built-in sandbox. Changes here are what Cliniko would see, so your active workflows react to them."
      />
      <ErrorNotice error={info.error} />
      {info.data && !info.data.demo && (
        <div className="notice info">This page works when cliniko-flow runs with the demo (npm start).</div>
      )}
      {counts && (
        <p className="muted small">
          In the clinic now: {counted.map(([key, label]) => `${counts[key] ?? 0} ${label}`).join(" · ")}
        </p>
      )}
      <div className="grid-2">
        <form className="card" onSubmit={addPatient} aria-labelledby="demo-add-patient">
          <h2 id="demo-add-patient">A new patient</h2>
          <p className="muted small">
            Fires the <strong>New Patient</strong> trigger, as the example workflow "Flag new patients for intake" uses.
            Leave the names empty for a made-up one.
          </p>
          <div className="row" style={{ alignItems: "flex-start" }}>
            <div className="field" style={{ flex: 1, minWidth: 140 }}>
              <label htmlFor="demo-first">
                First name <span className="hint">(optional)</span>
              </label>
              <input
                id="demo-first"
                value={names.firstName}
                maxLength={60}
                onChange={(e) => setNames({ ...names, firstName: e.target.value })}
              />
            </div>
            <div className="field" style={{ flex: 1, minWidth: 140 }}>
              <label htmlFor="demo-last">
                Last name <span className="hint">(optional)</span>
              </label>
              <input
                id="demo-last"
                value={names.lastName}
                maxLength={60}
                onChange={(e) => setNames({ ...names, lastName: e.target.value })}
              />
            </div>
          </div>
          <button type="submit" disabled={busy !== undefined}>
            {busy === "add-patient" ? "Adding…" : "Add a new patient"}
          </button>
        </form>
        <section className="card" aria-labelledby="demo-other">
          <h2 id="demo-other">Other changes</h2>
          <p className="muted small">Each one changes a single record, as a receptionist would in Cliniko.</p>
          <div className="stack">
            {changes.map((c) => (
              <div key={c.key}>
                <button
                  type="button"
                  className="secondary"
                  disabled={busy !== undefined}
                  onClick={() => void act(c.key)}
                >
                  {busy === c.key ? "Working…" : c.label}
                </button>
                <div className="muted small">
                  Trigger: <strong>{c.trigger}</strong>
                </div>
              </div>
            ))}
          </div>
        </section>
      </div>
      <ErrorNotice error={error} />
      {/* Always in the page, so screen readers announce what gets added to it. */}
      <section role="status" aria-label="What changed">
        {done.map((change, i) => (
          <div key={`${change.action}:${change.id}`} className={`notice ${i === 0 ? "ok" : "info"}`}>
            {change.description}
            {i === 0 && <Hint change={change} />}
          </div>
        ))}
      </section>
    </>
  );
}
