import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import {
  api,
  type CatalogAction,
  type CatalogTrigger,
  type StepTestResult,
  type WorkflowDefinition,
  type WorkflowStep,
} from "../api.ts";
import { DataPicker } from "../components/DataPicker.tsx";
import { Picker } from "../components/Picker.tsx";
import { type InsertTarget, SchemaForm } from "../components/SchemaForm.tsx";
import { Badge, ErrorNotice, JsonView, PageHead, useLoad } from "../components/ui.tsx";
import { navigate } from "../router.ts";

const intervals = ["30s", "1m", "5m", "15m", "1h"];

/** A step id people can read in references (`steps.alert.id`), unique within the workflow. */
function newStepId(action: string, taken: string[]): string {
  const base =
    action
      .replace(/^(create|update|find|list|get|archive|cancel|delete)_/, "")
      .replace(/[^a-z0-9_]/gi, "_")
      .slice(0, 24) || "step";
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}_${n}`;
  return id;
}

type Case = { if: string; steps: WorkflowStep[] };

/**
 * The trigger after picking `key`: the engine refuses fields a kind does not take (a webhook is
 * not polled; a schedule has cron or every), so switching kinds drops them.
 */
function triggerFor(
  key: string,
  previous: WorkflowDefinition["trigger"],
  firstConnection: string | undefined,
): WorkflowDefinition["trigger"] {
  if (key === "webhook") return { key };
  if (key === "schedule") return { key, ...(previous.cron ? { cron: previous.cron } : {}) };
  return {
    key,
    connection: previous.connection ?? firstConnection,
    every: previous.key === "schedule" || !previous.every ? "1m" : previous.every,
  };
}

/** The URL other apps post to, once the workflow is saved with the webhook trigger. */
function WebhookUrl({ workflowId, savedAsWebhook }: { workflowId?: string; savedAsWebhook: boolean }) {
  const [path, setPath] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!workflowId || !savedAsWebhook) return;
    api.workflows.webhook(workflowId).then((w) => setPath(w.path), setError);
  }, [workflowId, savedAsWebhook]);
  if (!workflowId || !savedAsWebhook)
    return <p className="small muted">Save the workflow to get the URL other apps post to.</p>;
  const url = path ? `${window.location.origin}${path}` : "";
  return (
    <div className="stack">
      <ErrorNotice error={error} />
      <div className="field">
        <label htmlFor="webhook-url">
          Webhook URL <span className="hint">(POST JSON here; keep it private, it works without a login)</span>
        </label>
        <div className="input-with-button">
          <input id="webhook-url" readOnly value={url} onFocus={(e) => e.target.select()} />
          <button
            type="button"
            className="secondary"
            disabled={!url}
            onClick={() => {
              void navigator.clipboard?.writeText(url).then(() => setCopied(true));
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
      </div>
      <div className="row">
        <span className="small muted">
          Each request starts a run while the workflow is active; its data is under trigger.body.
        </span>
        <button
          type="button"
          className="link-button small"
          onClick={() => {
            if (!window.confirm("Make a new URL? The current one stops working at once.")) return;
            setCopied(false);
            api.workflows.rotateWebhook(workflowId).then((w) => setPath(w.path), setError);
          }}
        >
          Make a new URL
        </button>
      </div>
    </div>
  );
}

/** Every step, branch cases included, in the order a run meets them. */
export function flatten(steps: WorkflowStep[]): WorkflowStep[] {
  return steps.flatMap((s) => [
    s,
    ...flatten(((s.cases as Case[] | undefined) ?? []).flatMap((c) => c.steps)),
    ...flatten((s.else as WorkflowStep[] | undefined) ?? []),
    ...flatten((s.steps as WorkflowStep[] | undefined) ?? []),
  ]);
}

function ConditionInput({
  id,
  label,
  value,
  onChange,
  onFocusTarget,
  issues = [],
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  onFocusTarget: (insert: InsertTarget) => void;
  issues?: string[];
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={ref}
        value={value}
        {...(issues.length > 0 ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {})}
        placeholder="{{ trigger.email != null }}"
        onFocus={() =>
          onFocusTarget((text) => {
            const el = ref.current;
            const cur = el?.value ?? "";
            const at = el?.selectionStart ?? cur.length;
            onChange(cur.slice(0, at) + text + cur.slice(el?.selectionEnd ?? at));
          })
        }
        onChange={(e) => onChange(e.target.value)}
      />
      {issues.length > 0 && (
        <div id={`${id}-error`} className="field-error small">
          {issues.join(" ")}
        </div>
      )}
    </div>
  );
}

/** Messages of the problems found at a path of the workflow (`steps[0].input.name`). */
export type IssuesAt = (path: string) => string[];

/** Messages for each input field of the step at `base`, by field name. */
function inputIssues(issuesAt: IssuesAt, base: string, schema: { properties?: Record<string, unknown> }) {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(schema.properties ?? {})) {
    const found = issuesAt(`${base}.input.${name}`);
    if (found.length > 0) out[name] = found;
  }
  return out;
}

/** A branch runs the steps of its first case whose condition holds, else its else steps. */
function BranchCases({
  step,
  onChange,
  onFocusTarget,
  nested,
  path,
  issuesAt,
}: {
  step: WorkflowStep;
  onChange: (step: WorkflowStep) => void;
  onFocusTarget: (insert: InsertTarget) => void;
  nested: Nested;
  path: string;
  issuesAt: IssuesAt;
}) {
  const cases = (step.cases as Case[] | undefined) ?? [];
  const elseSteps = (step.else as WorkflowStep[] | undefined) ?? [];
  const setCases = (next: Case[]) => onChange({ ...step, cases: next });
  return (
    <div className="stack">
      {cases.map((c, j) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: cases have no identity of their own
        <fieldset key={j} className="card">
          <legend className="small muted">Case {j + 1}</legend>
          <ConditionInput
            id={`${step.id}-case-${j}`}
            label="When"
            value={c.if}
            onChange={(v) => setCases(cases.map((x, k) => (k === j ? { ...x, if: v } : x)))}
            onFocusTarget={onFocusTarget}
            issues={issuesAt(`${path}.cases[${j}].if`)}
          />
          {nested(
            c.steps,
            (steps) => setCases(cases.map((x, k) => (k === j ? { ...x, steps } : x))),
            `case ${j + 1}`,
            `${path}.cases[${j}].steps`,
          )}
          <button type="button" className="link-button small" onClick={() => setCases(cases.filter((_, k) => k !== j))}>
            Remove case {j + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" className="secondary small" onClick={() => setCases([...cases, { if: "", steps: [] }])}>
        + Add a case
      </button>
      <fieldset className="card">
        <legend className="small muted">Otherwise</legend>
        {nested(
          elseSteps,
          (steps) => onChange({ ...step, else: steps.length > 0 ? steps : undefined }),
          "otherwise",
          `${path}.else`,
        )}
      </fieldset>
    </div>
  );
}

/** Which stored connection a trigger or step uses; "" (default) is stored as no connection at all. */
function ConnectionField({
  id,
  value,
  connections,
  onChange,
  issues = [],
}: {
  id: string;
  value: string | undefined;
  connections: string[];
  onChange: (connection: string | undefined) => void;
  issues?: string[];
}) {
  // "default" is offered only when a connection has that name; a name that no longer exists is
  // shown as missing rather than silently replaced.
  const missing = value !== undefined && !connections.includes(value);
  return (
    <div className="field">
      <label htmlFor={id}>Connection</label>
      <select
        id={id}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value || undefined)}
        {...(issues.length > 0 ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {})}
      >
        {!connections.includes("default") && <option value="">— choose a connection —</option>}
        {missing && <option value={value}>{value} (missing)</option>}
        {connections.map((c) => (
          <option key={c} value={c === "default" ? "" : c}>
            {c}
          </option>
        ))}
      </select>
      {issues.length > 0 && (
        <div id={`${id}-error`} className="field-error small">
          {issues.join(" ")}
        </div>
      )}
      {connections.length === 0 && (
        <div className="hint small muted">
          No connection yet: <a href="#/connections">add your Cliniko account</a>.
        </div>
      )}
    </div>
  );
}

type Nested = (
  steps: WorkflowStep[],
  onSteps: (steps: WorkflowStep[]) => void,
  label: string,
  path: string,
) => ReactNode;

function StepCard({
  index,
  step,
  action,
  actions,
  connections,
  output,
  onChange,
  onRemove,
  onMove,
  onTest,
  onFocusTarget,
  nested,
  path,
  issuesAt,
}: {
  index: number;
  /** Where the step sits in the file (`steps[1]`), for its problems. */
  path: string;
  issuesAt: IssuesAt;
  step: WorkflowStep;
  action?: CatalogAction;
  actions: CatalogAction[];
  connections: string[];
  output?: StepTestResult | "testing";
  onChange: (step: WorkflowStep) => void;
  onRemove: () => void;
  onMove: (delta: number) => void;
  onTest: () => void;
  onFocusTarget: (insert: InsertTarget) => void;
  /** Renders the steps of a branch's case (or else), edited in place. */
  nested?: Nested;
}) {
  // What the step kind declares in the registry decides the card, never its name.
  const usesConnection = Boolean(action?.connection);
  const stops = action?.effects?.includes("stop") ?? false;
  const nests = action?.nests === "cases";
  const conditionRef = useRef<HTMLInputElement>(null);
  const kind = stops || nests ? "flow-control" : "";
  return (
    <section className={`card step-card ${kind}`} aria-label={`Step ${index + 1}: ${step.id}`}>
      <div className="card-head">
        <h2>
          <span className="step-num">{index + 1}</span>
          {action?.title ?? "Choose what this step does"}
        </h2>
        <div className="row">
          <button type="button" className="secondary small" onClick={() => onMove(-1)} aria-label="Move step up">
            ↑
          </button>
          <button type="button" className="secondary small" onClick={() => onMove(1)} aria-label="Move step down">
            ↓
          </button>
          <button type="button" className="danger small" onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
      <Picker
        label="Action"
        items={actions}
        value={step.action || undefined}
        onPick={(key) => onChange({ ...step, action: key, input: {} })}
        placeholder="Search: medical alert, patient, filter, http…"
      />
      {action && (
        <>
          <div className="grid-2">
            <div className="field">
              <label htmlFor={`id-${index}`}>
                Step name <span className="hint">(used in references: steps.{step.id})</span>
              </label>
              <input
                id={`id-${index}`}
                value={step.id}
                onChange={(e) => onChange({ ...step, id: e.target.value.replace(/[^A-Za-z0-9_]/g, "_") })}
              />
            </div>
            {usesConnection && (
              <ConnectionField
                id={`conn-${index}`}
                value={step.connection}
                connections={connections}
                onChange={(connection) => onChange({ ...step, connection })}
                issues={issuesAt(`${path}.connection`)}
              />
            )}
          </div>
          {!stops && (
            <div className="field">
              <label htmlFor={`if-${index}`}>
                Only run if <span className="hint">(optional condition, e.g. {"{{ trigger.email != null }}"})</span>
              </label>
              <input
                id={`if-${index}`}
                ref={conditionRef}
                value={step.if ?? ""}
                onFocus={() =>
                  onFocusTarget((text) => {
                    const el = conditionRef.current;
                    const cur = el?.value ?? "";
                    const at = el?.selectionStart ?? cur.length;
                    onChange({ ...step, if: cur.slice(0, at) + text + cur.slice(el?.selectionEnd ?? at) });
                  })
                }
                onChange={(e) => onChange({ ...step, if: e.target.value || undefined })}
              />
            </div>
          )}
          {!nests && <h3>Input</h3>}
          {!nests && (
            <SchemaForm
              key={step.action}
              schema={action.inputSchema}
              value={(step.input ?? {}) as Record<string, unknown>}
              onChange={(input) => onChange({ ...step, input })}
              onFocusTarget={onFocusTarget}
              issues={inputIssues(issuesAt, path, action.inputSchema)}
            />
          )}
          <div className="row" style={{ marginTop: "0.75rem" }}>
            <button type="button" className="secondary" onClick={onTest} disabled={output === "testing"}>
              {output === "testing" ? "Testing…" : "Test this step"}
            </button>
            {usesConnection && <span className="small muted">Runs for real against the step's connection.</span>}
          </div>
          {nests && nested && (
            <BranchCases
              step={step}
              onChange={onChange}
              onFocusTarget={onFocusTarget}
              nested={nested}
              path={path}
              issuesAt={issuesAt}
            />
          )}
          {output && output !== "testing" && (
            <div className="stack" style={{ marginTop: "0.75rem" }} aria-live="polite">
              <div className="row">
                <Badge status={output.skipped ? "skipped" : output.ok ? "succeeded" : "failed"} />
                <span className="small muted">{output.durationMs} ms</span>
              </div>
              {output.error && <div className="notice error">{output.error}</div>}
              <details>
                <summary className="small">Input sent</summary>
                <JsonView value={output.input} label="Resolved input" />
              </details>
              {output.ok && (
                <div>
                  <h3>Output</h3>
                  <JsonView value={output.output} label={`Test output of ${step.id}`} />
                </div>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}

export function EditorPage({ id }: { id?: string }) {
  const catalog = useLoad(() => Promise.all([api.catalog.actions(), api.catalog.triggers(), api.connections.list()]));
  const [actions, triggers, connectionList] = catalog.data ?? [[], [], []];
  // Triggers and Cliniko steps pick among Cliniko connections; an app step among its kinds'.
  const connections = connectionList.filter((c) => c.kind === "cliniko").map((c) => c.name);
  const connectionsFor = (a?: { connection?: string | null; connections?: string[] }) => {
    const kinds = a?.connections ?? (a?.connection ? [a.connection] : ["cliniko"]);
    return connectionList.filter((c) => kinds.includes(c.kind)).map((c) => c.name);
  };

  const [workflowId, setWorkflowId] = useState(id);
  const [enabled, setEnabled] = useState(false);
  const [savedTrigger, setSavedTrigger] = useState<string>();
  const [testSummary, setTestSummary] = useState<{ ok: boolean; text: string } | "testing">();
  const [def, setDef] = useState<WorkflowDefinition>({ name: "", trigger: { key: "", every: "1m" }, steps: [] });
  const [loadError, setLoadError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [triggerSample, setTriggerSample] = useState<unknown>();
  const [sampleInfo, setSampleInfo] = useState<string>("");
  const [outputs, setOutputs] = useState<Record<string, StepTestResult | "testing">>({});
  const target = useRef<InsertTarget | undefined>(undefined);
  // Stable React keys for step cards, so moving or renaming a step keeps its form state.
  const keySeq = useRef(0);
  const [stepKeys, setStepKeys] = useState<number[]>([]);
  const newKey = () => ++keySeq.current;
  const [hasTarget, setHasTarget] = useState(false);
  // What keeps the workflow from being switched on, checked by the server as it is edited.
  const [problems, setProblems] = useState<{ path: string; message: string }[]>([]);
  const issuesAt: IssuesAt = (path) => problems.filter((p) => p.path === path).map((p) => p.message);
  useEffect(() => {
    if (!def.trigger.key || def.steps.length === 0) return setProblems([]);
    const timer = setTimeout(() => {
      api.workflows.validate(def).then(
        (r) => setProblems([...r.errors, ...r.problems]),
        () => undefined,
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [def]);
  // Unsaved changes: the definition as last loaded or saved.
  const [savedJson, setSavedJson] = useState(() => JSON.stringify(def));
  const dirty = JSON.stringify(def) !== savedJson;
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  useEffect(() => {
    if (!id) return;
    api.workflows
      .get(id)
      .then((w) => {
        setDef(w.definition);
        setSavedJson(JSON.stringify(w.definition));
        setStepKeys(w.definition.steps.map(() => ++keySeq.current));
        setEnabled(w.enabled);
        setSavedTrigger(w.definition.trigger.key);
      })
      .catch(setLoadError);
  }, [id]);

  // A new workflow uses the first connection unless the user picks another.
  useEffect(() => {
    const polled = def.trigger.key !== "webhook" && def.trigger.key !== "schedule";
    if (!id && polled && connections.length > 0 && def.trigger.connection === undefined)
      setDef((d) => ({ ...d, trigger: { ...d.trigger, connection: connections[0] } }));
  }, [id, connections, def.trigger.connection, def.trigger.key]);

  const trigger: CatalogTrigger | undefined = triggers.find((t) => t.key === def.trigger.key);
  // Steps are tested on real data by default: the newest record the trigger would fire for, from
  // its connection; the built-in sample only when there is none (or Cliniko cannot be reached).
  const sampleSeq = useRef(0);
  const triggerConnection = def.trigger.connection ?? "default";
  const canFetchLive = trigger !== undefined && !trigger.builtin && connections.includes(triggerConnection);
  // biome-ignore lint/correctness/useExhaustiveDependencies: fetch again only when the trigger or its connection changes
  useEffect(() => {
    if (!trigger) return;
    setTriggerSample(trigger.sample);
    setSampleInfo(trigger.sample === undefined ? "" : "Built-in sample data (no connection to fetch a real record)");
    if (canFetchLive) void loadLiveSample();
  }, [trigger, canFetchLive, triggerConnection]);

  const actionByKey = useMemo(() => new Map(actions.map((a) => [a.key, a])), [actions]);

  const setStep = (i: number, step: WorkflowStep) =>
    setDef((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? step : s)) }));
  const stepOutput = (s: WorkflowStep): unknown => {
    const o = outputs[s.id];
    if (o && o !== "testing" && o.ok) return o.output;
    return actionByKey.get(s.action)?.outputSample;
  };

  function onFocusTarget(insert: InsertTarget) {
    target.current = insert;
    setHasTarget(true);
  }

  async function loadLiveSample() {
    const seq = ++sampleSeq.current;
    setSampleInfo("Fetching the latest record from Cliniko…");
    try {
      const res = await api.triggerSample(def.trigger.key, { connection: def.trigger.connection, live: true });
      if (seq !== sampleSeq.current) return; // a newer trigger or connection was picked meanwhile
      setTriggerSample(res.sample);
      setSampleInfo(
        res.live
          ? `Testing with the latest real record from Cliniko (connection “${triggerConnection}”).`
          : `No matching record in Cliniko yet: testing with the built-in sample data instead.`,
      );
    } catch (err) {
      if (seq !== sampleSeq.current) return;
      setSampleInfo(
        `Could not fetch a record from Cliniko (${err instanceof Error ? err.message : String(err)}): testing with the built-in sample data instead.`,
      );
    }
  }

  /** Tests a step with the trigger sample and the outputs of every step before it (branches included). */
  async function testStep(step: WorkflowStep) {
    setOutputs((o) => ({ ...o, [step.id]: "testing" }));
    const all = flatten(def.steps);
    const before = all.slice(0, all.indexOf(step));
    const context = {
      trigger: triggerSample ?? {},
      steps: Object.fromEntries(before.map((s) => [s.id, stepOutput(s)])),
    };
    try {
      const result = await api.testStep({ step, connection: step.connection, context });
      setOutputs((o) => ({ ...o, [step.id]: result }));
    } catch (err) {
      setOutputs((o) => ({
        ...o,
        [step.id]: {
          ok: false,
          input: step.input,
          error: err instanceof Error ? err.message : String(err),
          durationMs: 0,
        },
      }));
    }
  }

  /** Runs every step in order on the trigger sample, as a run would, and shows each result. */
  async function testWorkflow() {
    setTestSummary("testing");
    setError(undefined);
    try {
      const result = await api.workflows.test(def, { trigger: triggerSample ?? {} });
      setOutputs(Object.fromEntries(result.steps.map(({ stepId, ...r }) => [stepId, r])));
      const failed = result.steps.find((r) => !r.ok);
      const ran = result.steps.filter((r) => !r.skipped).length;
      setTestSummary({
        ok: result.ok,
        text: failed
          ? `Step "${failed.stepId}" failed: ${failed.error ?? "see its card"}. Steps after it did not run.`
          : `${ran === 1 ? "The step" : `All ${ran} steps`} ran without error${
              result.steps.length > ran ? ` (${result.steps.length - ran} skipped by their condition)` : ""
            }; each card shows its output.`,
      });
    } catch (err) {
      setTestSummary(undefined);
      setError(err);
    }
  }

  function newStep(key: string): WorkflowStep {
    const kind = actionByKey.get(key);
    return {
      id: newStepId(
        key,
        flatten(def.steps).map((s) => s.id),
      ),
      action: key,
      // An app step without a connection uses the only one of its kind.
      ...(kind?.connection === "cliniko" ? { connection: def.trigger.connection } : {}),
      ...(kind?.nests === "cases" ? { cases: [{ if: "", steps: [] }] } : { input: {} }),
    };
  }

  /** Steps inside a branch case: the same cards, one level in. */
  function nested(
    steps: WorkflowStep[],
    onSteps: (steps: WorkflowStep[]) => void,
    label: string,
    base: string,
  ): ReactNode {
    return (
      <div className="stack">
        {steps.map((child, j) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: nested steps are few and re-keyed by their action
          <div key={`${j}-${child.action}`}>
            <StepCard
              index={j}
              path={`${base}[${j}]`}
              issuesAt={issuesAt}
              step={child}
              action={actionByKey.get(child.action)}
              actions={actions}
              connections={connectionsFor(actionByKey.get(child.action))}
              output={outputs[child.id]}
              onChange={(c) => onSteps(steps.map((x, k) => (k === j ? c : x)))}
              onRemove={() => onSteps(steps.filter((_, k) => k !== j))}
              onMove={(delta) => {
                const k = j + delta;
                if (k < 0 || k >= steps.length) return;
                const next = [...steps];
                [next[j], next[k]] = [next[k]!, next[j]!];
                onSteps(next);
              }}
              onTest={() => testStep(child)}
              onFocusTarget={onFocusTarget}
              nested={nested}
            />
          </div>
        ))}
        <AddStep
          actions={actions}
          label={`Add a step to ${label}`}
          onAdd={(key) => onSteps([...steps, newStep(key)])}
        />
      </div>
    );
  }

  async function save(activate?: boolean): Promise<void> {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const saved = workflowId ? await api.workflows.update(workflowId, def) : await api.workflows.create(def);
      if (!workflowId) {
        setWorkflowId(saved.id);
        window.history.replaceState(null, "", `#/workflows/${encodeURIComponent(saved.id)}`);
      }
      setSavedTrigger(saved.definition.trigger.key);
      setSavedJson(JSON.stringify(def));
      let on = saved.enabled;
      if (activate === true) on = (await api.workflows.enable(saved.id)).enabled;
      if (activate === false) on = (await api.workflows.disable(saved.id)).enabled;
      setEnabled(on);
      setSaved(
        activate === true
          ? "Saved and active: it now runs whenever its trigger fires."
          : activate === false
            ? "Saved and paused."
            : `Saved as version ${saved.version}.`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!workflowId || !window.confirm(`Delete the workflow "${def.name}"? Its run history stays.`)) return;
    try {
      await api.workflows.remove(workflowId);
      navigate("/workflows");
    } catch (err) {
      setError(err);
    }
  }

  if (loadError) return <ErrorNotice error={loadError} />;
  return (
    <>
      <p>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            if (!dirty || window.confirm("Leave without saving? Your changes to this workflow will be lost."))
              navigate("/workflows");
          }}
        >
          ← All workflows
        </button>
        {dirty && <span className="small muted"> · Unsaved changes</span>}
      </p>
      <PageHead title={def.name || "New workflow"} subtitle={enabled ? "Active" : "Not active"}>
        <Badge status={enabled ? "on" : "off"} />
        <button type="button" className="secondary" onClick={() => save()} disabled={busy}>
          Save
        </button>
        <button
          type="button"
          className="secondary"
          onClick={testWorkflow}
          disabled={busy || testSummary === "testing" || def.steps.length === 0 || !def.trigger.key}
          title="Runs every step once on the trigger's sample data, for real, without storing a run"
        >
          {testSummary === "testing" ? "Testing…" : "Test workflow"}
        </button>
        {enabled ? (
          <button type="button" className="secondary" onClick={() => save(false)} disabled={busy}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={() => save(true)} disabled={busy}>
            Save and activate
          </button>
        )}
        {workflowId && (
          <button type="button" className="danger" onClick={remove}>
            Delete
          </button>
        )}
      </PageHead>
      <ErrorNotice error={catalog.error ?? error} />
      {testSummary && testSummary !== "testing" && (
        <div className={`notice ${testSummary.ok ? "ok" : "error"}`} role="status">
          {testSummary.text}
        </div>
      )}
      {saved && (
        <div className="notice ok" role="status">
          {saved}
        </div>
      )}
      {problems.length > 0 && (
        <div className="notice info" role="status" aria-label="Problems">
          {problems.length === 1 ? "One thing" : `${problems.length} things`} to fix before this workflow can be
          switched on (it can be saved as it is); each is marked beside its field.
        </div>
      )}
      <div className="editor">
        <div>
          <section className="card">
            <div className="field">
              <label htmlFor="wf-name">Workflow name</label>
              <input
                id="wf-name"
                value={def.name}
                placeholder="Flag new patients for intake"
                onChange={(e) => setDef({ ...def, name: e.target.value })}
              />
            </div>
          </section>
          <section className="card step-card trigger" aria-label="When this happens">
            <h2>
              <span className="step-num">⚡</span>When this happens
            </h2>
            <Picker
              label="Trigger"
              items={triggers}
              value={def.trigger.key || undefined}
              onPick={(key) => setDef({ ...def, trigger: triggerFor(key, def.trigger, connections[0]) })}
              placeholder="Search: new patient, cancelled appointment…"
            />
            {trigger && (
              <>
                <div className="grid-2">
                  {trigger.key !== "schedule" && trigger.key !== "webhook" && (
                    <ConnectionField
                      id="trigger-conn"
                      value={def.trigger.connection}
                      connections={connections}
                      onChange={(connection) => setDef({ ...def, trigger: { ...def.trigger, connection } })}
                      issues={issuesAt("trigger.connection")}
                    />
                  )}
                  {!trigger.builtin && (
                    <div className="field">
                      <label htmlFor="trigger-every">Check Cliniko every</label>
                      <select
                        id="trigger-every"
                        value={def.trigger.every ?? "1m"}
                        onChange={(e) => setDef({ ...def, trigger: { ...def.trigger, every: e.target.value } })}
                      >
                        {intervals.map((i) => (
                          <option key={i} value={i}>
                            {i}
                          </option>
                        ))}
                      </select>
                    </div>
                  )}
                </div>
                {trigger.inputSchema?.properties && Object.keys(trigger.inputSchema.properties).length > 0 && (
                  <SchemaForm
                    schema={trigger.inputSchema}
                    value={Object.fromEntries(
                      Object.keys(trigger.inputSchema.properties).map(
                        (k) => [k, (def.trigger as Record<string, unknown>)[k]] as const,
                      ),
                    )}
                    onChange={(v) => setDef({ ...def, trigger: { ...def.trigger, ...v } })}
                    onFocusTarget={onFocusTarget}
                  />
                )}
                {trigger.key === "webhook" && (
                  <WebhookUrl workflowId={workflowId} savedAsWebhook={savedTrigger === "webhook"} />
                )}
                {!trigger.builtin && (
                  <div className="row">
                    <button type="button" className="secondary small" onClick={loadLiveSample}>
                      Fetch the latest record again
                    </button>
                    <span className="small muted" role="status" aria-label="Test data">
                      {sampleInfo}
                    </span>
                  </div>
                )}
              </>
            )}
          </section>
          {def.steps
            .map((step, i) => ({ step, i, key: stepKeys[i] ?? -i }))
            .map(({ step, i, key }) => (
              <div key={key}>
                <div className="connector" aria-hidden="true" />
                <StepCard
                  index={i}
                  path={`steps[${i}]`}
                  issuesAt={issuesAt}
                  step={step}
                  action={actionByKey.get(step.action)}
                  actions={actions}
                  connections={connectionsFor(actionByKey.get(step.action))}
                  output={outputs[step.id]}
                  onChange={(s) => setStep(i, s)}
                  onRemove={() => {
                    setDef({ ...def, steps: def.steps.filter((_, j) => j !== i) });
                    setStepKeys(stepKeys.filter((_, j) => j !== i));
                  }}
                  onMove={(delta) => {
                    const j = i + delta;
                    if (j < 0 || j >= def.steps.length) return;
                    const steps = [...def.steps];
                    [steps[i], steps[j]] = [steps[j]!, steps[i]!];
                    const ks = [...stepKeys];
                    [ks[i], ks[j]] = [ks[j]!, ks[i]!];
                    setDef({ ...def, steps });
                    setStepKeys(ks);
                  }}
                  onTest={() => testStep(step)}
                  onFocusTarget={onFocusTarget}
                  nested={nested}
                />
              </div>
            ))}
          <div className="connector" aria-hidden="true" />
          <AddStep
            actions={actions}
            label="Add a step"
            onAdd={(key) => {
              setStepKeys([...stepKeys, newKey()]);
              setDef({ ...def, steps: [...def.steps, newStep(key)] });
            }}
          />
        </div>
        <DataPicker
          trigger={triggerSample}
          steps={flatten(def.steps).map((s) => [s.id, stepOutput(s)])}
          hasTarget={hasTarget}
          onPick={(ref) => target.current?.(ref)}
        />
      </div>
    </>
  );
}

function AddStep({ actions, label, onAdd }: { actions: CatalogAction[]; label: string; onAdd: (key: string) => void }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)} style={{ width: "100%" }}>
        + {label}
      </button>
    );
  return (
    <section className="card" aria-label="New step">
      <Picker
        label={label}
        items={actions}
        onPick={(key) => {
          onAdd(key);
          setOpen(false);
        }}
        placeholder="Search: medical alert, patient, filter, http…"
      />
      <button type="button" className="link-button small" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </section>
  );
}
