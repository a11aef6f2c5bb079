import type { StepTestResult } from "../../api.ts";
import { Badge, ErrorDetails, JsonView } from "../../components/ui.tsx";

/** What testing a step gave: its status, the input it was sent and its output, or its error and details. */
export function StepResult({ stepId, output }: { stepId: string; output: StepTestResult }) {
  return (
    <div className="stack" style={{ marginTop: "0.75rem" }} aria-live="polite">
      <div className="row">
        <Badge status={output.skipped ? "skipped" : output.ok ? "succeeded" : "failed"} />
        <span className="small muted">{output.durationMs} ms</span>
      </div>
      {output.error && (
        <div className="notice error">
          {output.error}
          <ErrorDetails details={output.details} />
        </div>
      )}
      <details>
        <summary className="small">Input sent</summary>
        <JsonView value={output.input} label="Resolved input" />
      </details>
      {output.ok && (
        <div>
          <h3>Output</h3>
          <JsonView value={output.output} label={`Test output of ${stepId}`} />
        </div>
      )}
    </div>
  );
}
