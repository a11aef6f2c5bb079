/**
 * The notice over a workflow whose shown definition is the server's draft: a change that could not
 * be switched on, kept so the typing is not lost. It says what runs meanwhile, and offers to
 * discard the draft (back to the saved version).
 */
import { formatTime } from "../../components/ui.tsx";

export function DraftNotice(props: {
  savedAt: string;
  enabled: boolean;
  version?: number;
  busy: boolean;
  onDiscard: () => void;
}) {
  const { savedAt, enabled, version, busy, onDiscard } = props;
  const runs = enabled
    ? `the workflow still runs version ${version ?? "?"}`
    : `the workflow is off (version ${version ?? "?"} is saved)`;
  return (
    <div className="notice info row" role="status" data-testid="draft-notice">
      <span>
        Draft from {formatTime(savedAt)}, not switched on; {runs}.
      </span>
      <button type="button" className="secondary" onClick={onDiscard} disabled={busy}>
        Discard draft
      </button>
    </div>
  );
}
