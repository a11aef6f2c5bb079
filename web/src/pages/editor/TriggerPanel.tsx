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
                Object.keys(options).map((k) => [k, (def.trigger as Record<string, unknown>)[k]] as const),
              )}
              onChange={(v) => {
                // Options left empty are dropped, not stored as undefined keys.
                const next: Record<string, unknown> = { ...def.trigger };
                for (const k of Object.keys(options)) delete next[k];
                onChange({ ...(next as WorkflowDefinition["trigger"]), ...v });
              }}
              onFocusTarget={onFocusTarget}
              issues={Object.fromEntries(
                Object.keys(options)
                  .map((k) => [k, issuesAt(`trigger.${k}`)] as const)
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
