import { useMemo, useState } from "react";
import { api, type CatalogAction, type CatalogTrigger, type JsonSchema } from "../api.ts";
import { ErrorNotice, JsonView, PageHead, useLoad } from "../components/ui.tsx";
import { groupBy, search } from "../search.ts";

type Entry = (CatalogAction | CatalogTrigger) & { method?: string; path?: string };

function SchemaTable({ schema }: { schema?: JsonSchema }) {
  const props = Object.entries(schema?.properties ?? {});
  if (props.length === 0) return <p className="muted small">No input.</p>;
  const required = new Set(schema?.required ?? []);
  return (
    <table>
      <thead>
        <tr>
          <th>Field</th>
          <th>Type</th>
          <th>About</th>
        </tr>
      </thead>
      <tbody>
        {props.map(([name, p]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
              {required.has(name) && <span className="req">*</span>}
            </td>
            <td className="small">{Array.isArray(p.type) ? p.type.join(" | ") : (p.type ?? "any")}</td>
            <td className="small">
              {p.description}
              {p.enum && <div className="muted">One of: {p.enum.map(String).join(", ")}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const isCliniko = (e: { builtin?: boolean; kind: string }) => !e.builtin && e.kind !== "app";

export function CatalogPage() {
  const actions = useLoad(() => api.catalog.actions());
  const triggers = useLoad(() => api.catalog.triggers());
  const [tab, setTab] = useState<"actions" | "triggers">("actions");
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState<Entry | undefined>();

  // Cliniko's API only: the engine's own steps and the apps' actions live in the editor's palette.
  const all: Entry[] = ((tab === "actions" ? actions.data : triggers.data) ?? []).filter(isCliniko);
  const visible = useMemo(() => search(all, query), [all, query]);
  const count = all.length;

  return (
    <>
      <PageHead title="Catalogue" subtitle="Everything a workflow can start from and do in Cliniko." />
      <ErrorNotice error={actions.error ?? triggers.error} />
      <div className="tabs">
        <button type="button" aria-pressed={tab === "actions"} onClick={() => setTab("actions")}>
          Actions ({actions.data?.filter(isCliniko).length ?? "…"})
        </button>
        <button type="button" aria-pressed={tab === "triggers"} onClick={() => setTab("triggers")}>
          Triggers ({triggers.data?.filter(isCliniko).length ?? "…"})
        </button>
      </div>
      <div className="editor">
        <section>
          <div className="field">
            <label htmlFor="catalog-search">Search by name or group</label>
            <input
              id="catalog-search"
              type="search"
              value={query}
              placeholder={tab === "actions" ? "e.g. patient, invoice, find" : "e.g. appointment, cancelled"}
              onChange={(e) => setQuery(e.target.value)}
            />
            <div className="small muted" aria-live="polite">
              {visible.length} of {count} shown
            </div>
          </div>
          {visible.length === 0 && !actions.loading && <p className="empty">Nothing matches “{query}”.</p>}
          {groupBy(visible, query.trim() !== "").map(([group, items]) => (
            <div className="catalog-group" key={group}>
              <h2>{group}</h2>
              {items.map((e) => (
                <button type="button" className="catalog-item" key={e.key} onClick={() => setSelected(e)}>
                  <span>{e.title}</span>
                  <code className="muted">{e.key}</code>
                </button>
              ))}
            </div>
          ))}
        </section>
        <aside className="card data-picker" aria-label="Details">
          {selected ? (
            <div className="stack">
              <h2>{selected.title}</h2>
              <p className="small">{selected.description}</p>
              {selected.method && (
                <p className="small">
                  <code>
                    {selected.method} {selected.path}
                  </code>
                </p>
              )}
              {"documented" in selected && selected.documented === false && (
                <div className="notice info small">Cliniko's API documentation does not list this operation.</div>
              )}
              <h3>Input</h3>
              <SchemaTable schema={selected.inputSchema} />
              {"sample" in selected && selected.sample !== undefined && (
                <>
                  <h3>Sample event</h3>
                  <JsonView value={selected.sample} />
                </>
              )}
            </div>
          ) : (
            <p className="muted">Choose an entry to see its fields.</p>
          )}
        </aside>
      </div>
    </>
  );
}
