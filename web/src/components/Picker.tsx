import { useId, useMemo, useState } from "react";
import { groupBy, search } from "../search.ts";

export interface PickerItem {
  key: string;
  title: string;
  group: string;
  description?: string;
  keywords?: string[];
  event?: string;
  groupRank?: number;
}

/**
 * A searchable chooser for the catalogue's long lists (every action, every trigger): type part of a
 * name, group or a clinic's word for it, best match first; pick with mouse or keyboard (Tab to the result, Enter).
 */
export function Picker({
  label,
  items,
  value,
  onPick,
  placeholder,
}: {
  label: string;
  items: PickerItem[];
  value?: string;
  onPick: (key: string) => void;
  placeholder?: string;
}) {
  const id = useId();
  const selected = items.find((i) => i.key === value);
  // Open until something is picked: a workflow loaded after the first render shows its choice, not the list.
  const [openState, setOpen] = useState<boolean>();
  const open = openState ?? !selected;
  const [query, setQuery] = useState("");
  const visible = useMemo(() => search(items, query), [items, query]);

  if (!open && selected) {
    return (
      <div className="field">
        <span className="small muted">{label}</span>
        <div className="row">
          <strong>{selected.title}</strong>
          <code className="small muted">{selected.key}</code>
          <button type="button" className="link-button small" onClick={() => setOpen(true)}>
            Change
          </button>
        </div>
        {selected.description && <div className="small muted">{selected.description}</div>}
      </div>
    );
  }
  return (
    <div className="field picker">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={query}
        placeholder={placeholder ?? "Search by name or group"}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="picker-panel" id={`${id}-list`}>
        {visible.length === 0 && (
          <p className="muted small" style={{ padding: "0.5rem" }}>
            Nothing matches.
          </p>
        )}
        {groupBy(visible, query.trim() !== "").map(([group, list]) => (
          <div key={group}>
            <div className="small muted" style={{ padding: "0.4rem 0.75rem 0.1rem", fontWeight: 600 }}>
              {group}
            </div>
            {list.map((i) => (
              <button
                type="button"
                key={i.key}
                onClick={() => {
                  onPick(i.key);
                  setOpen(false);
                  setQuery("");
                }}
              >
                {i.title}
              </button>
            ))}
          </div>
        ))}
      </div>
      {selected && (
        <button type="button" className="link-button small" onClick={() => setOpen(false)}>
          Keep {selected.title}
        </button>
      )}
    </div>
  );
}
