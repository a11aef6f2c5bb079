import { useState } from "react";
import { api } from "../api.ts";
import { ErrorNotice, useLoad } from "../components/ui.tsx";
import { navigate } from "../router.ts";

/**
 * Ready workflows clinics ask for (the server's examples/): one click saves one as a new workflow,
 * switched off, on the first connection, and opens it in the editor to review and switch on.
 */
export function TemplateGallery() {
  const { data, error } = useLoad(() => api.templates.list());
  const [busy, setBusy] = useState<string>();
  const [useError, setUseError] = useState<unknown>();

  async function use(name: string) {
    setBusy(name);
    setUseError(undefined);
    try {
      const w = await api.templates.use(name);
      navigate(`/workflows/${encodeURIComponent(w.id)}`);
    } catch (err) {
      setUseError(err);
    } finally {
      setBusy(undefined);
    }
  }

  if (!data?.length && !error) return null;
  return (
    <section aria-label="Templates" style={{ marginTop: "1.5rem" }}>
      <h2>Start from a template</h2>
      <ErrorNotice error={error ?? useError} />
      <div className="template-grid">
        {data?.map((t) => (
          <article className="card" key={t.name} aria-label={t.title}>
            <h3>{t.title}</h3>
            <p className="small">{t.description}</p>
            {/* The setup notes say more than the summary: what it checks, what to set. */}
            {t.notes && t.notes !== t.description && (
              <details className="small">
                <summary>How it works</summary>
                <p>{t.notes}</p>
              </details>
            )}
            {t.settings.length > 0 && (
              <p className="small muted">
                Needs{" "}
                {t.settings.map((s) => (
                  <code key={s}>{s}</code>
                ))}{" "}
                set on the server.
              </p>
            )}
            <button type="button" className="secondary small" onClick={() => use(t.name)} disabled={busy !== undefined}>
              {busy === t.name ? "Adding…" : `Use “${t.title}”`}
            </button>
          </article>
        ))}
      </div>
    </section>
  );
}
