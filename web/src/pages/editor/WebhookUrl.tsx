import { useEffect, useState } from "react";
import { api } from "../../api.ts";
import { ErrorNotice } from "../../components/ui.tsx";

/** The URL other apps post to, once the workflow is saved with the webhook trigger. */
export function WebhookUrl({ workflowId, savedAsWebhook }: { workflowId?: string; savedAsWebhook: boolean }) {
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
