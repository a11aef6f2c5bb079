/** "When this happens": the trigger, its connection, how often it is checked, its options and test data. */
import type { CatalogTrigger, WorkflowDefinition } from "../../api.ts";
import { Picker } from "../../components/Picker.tsx";
import { SchemaForm } from "../../components/SchemaForm.tsx";
import { ConnectionField } from "./ConnectionField.tsx";
import { useEditor } from "./context.ts";
import { triggerFor } from "./model.ts";
import { WebhookUrl } from "./WebhookUrl.tsx";

const intervals = ["30s", "1m", "5m", "15m", "1h"];

export function TriggerPanel({
  def,
  onChange,
  triggers,
  connections,
  workflowId,
  savedTrigger,
  sampleInfo,
  onRefetch,
}: {
  def: WorkflowDefinition;
  onChange: (trigger: WorkflowDefinition["trigger"]) => void;
  triggers: CatalogTrigger[];
  connections: string[];
  workflowId?: string;
  savedTrigger?: string;
  sampleInfo: string;
  onRefetch: () => void;
}) {
  const { onFocusTarget, issuesAt } = useEditor();
  const trigger = triggers.find((t) => t.key === def.trigger.key);
  const every = def.trigger.every ?? "1m";
  const options = trigger?.inputSchema?.properties ?? {};
  return (
    <section className="card step-card trigger" aria-label="When this happens">
      <h2>
        <span className="step-num">⚡</span>When this happens
      </h2>
      <Picker
        label="Trigger"
        items={triggers}
        value={def.trigger.key || undefined}
        onPick={(key) => onChange(triggerFor(key, def.trigger, connections[0]))}
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
                onChange={(connection) => onChange({ ...def.trigger, connection })}
                issues={issuesAt("trigger.connection")}
              />
            )}
            {!trigger.builtin && (
              <div className="field">
                <label htmlFor="trigger-every">Check Cliniko every</label>
                <select
                  id="trigger-every"
                  value={every}
                  onChange={(e) => onChange({ ...def.trigger, every: e.target.value })}
                >
                  {/* A stored interval the list does not name (2m) is shown as it is, never replaced. */}
                  {[...(intervals.includes(every) ? [] : [every]), ...intervals].map((i) => (
                    <option key={i} value={i}>
                      {i}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </div>
          {Object.keys(options).length > 0 && (
            <SchemaForm
              schema={trigger.inputSchema ?? {}}
              value={Object.fromEntries(
                Object.keys(options).map((k) => [k, optionsOf(def.trigger, trigger)[k]] as const),
              )}
              onChange={(v) => onChange(withOptions(def.trigger, trigger, v, Object.keys(options)))}
              onFocusTarget={onFocusTarget}
              issues={Object.fromEntries(
                Object.keys(options)
                  .map((k) => [k, issuesAt(`${optionsPath(trigger)}${k}`)] as const)
                  .filter(([, v]) => v.length > 0),
              )}
              connection={def.trigger.connection ?? "default"}
            />
          )}
          {trigger.key === "webhook" && (
            <WebhookUrl workflowId={workflowId} savedAsWebhook={savedTrigger === "webhook"} />
          )}
          {!trigger.builtin && (
            <div className="row">
              <button type="button" className="secondary small" onClick={onRefetch}>
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
  );
}

type TriggerDraft = WorkflowDefinition["trigger"];

/**
 * Where a trigger's options live in the definition: a built-in trigger's (schedule: cron,
 * timezone) on the trigger itself, a catalogue trigger's (before, practitioners, …) under `options`.
 */
function optionsOf(t: TriggerDraft, trigger: { builtin?: boolean }): Record<string, unknown> {
  return trigger.builtin ? (t as Record<string, unknown>) : (t.options ?? {});
}

const optionsPath = (trigger: { builtin?: boolean }) => (trigger.builtin ? "trigger." : "trigger.options.");

/** The trigger with its options replaced by `v` (options left empty are dropped, not kept as undefined keys). */
function withOptions(t: TriggerDraft, trigger: { builtin?: boolean }, v: Record<string, unknown>, keys: string[]) {
  const set = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
  if (trigger.builtin) {
    const next: Record<string, unknown> = { ...t };
    for (const k of keys) delete next[k];
    return { ...(next as TriggerDraft), ...set };
  }
  const { options: _, ...rest } = t;
  return Object.keys(set).length > 0 ? { ...rest, options: set } : rest;
}
