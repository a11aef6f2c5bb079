import { useEffect, useState } from "react";
import { api, onUnauthorized } from "./api.ts";
import { CatalogPage } from "./pages/Catalog.tsx";
import { ConnectionsPage } from "./pages/Connections.tsx";
import { DemoPage } from "./pages/Demo.tsx";
import { EditorPage } from "./pages/Editor.tsx";
import { LoginPage } from "./pages/Login.tsx";
import { RunDetailPage, RunsPage } from "./pages/Runs.tsx";
import { SettingsPage } from "./pages/Settings.tsx";
import { TokensPage } from "./pages/Tokens.tsx";
import { WorkflowsPage } from "./pages/Workflows.tsx";
import { usePath } from "./router.ts";

const sections = [
  { href: "/workflows", label: "Workflows" },
  { href: "/runs", label: "Run history" },
  { href: "/connections", label: "Connections" },
  { href: "/catalog", label: "Catalogue" },
  { href: "/settings", label: "Settings" },
  { href: "/tokens", label: "API tokens" },
];
/** Shown only when the server runs with --demo (npm start). */
const demoSection = { href: "/demo", label: "Demo clinic" };

function Page({ path }: { path: string }) {
  // `#/runs?workflow=X`: the query belongs to the page, not to the route.
  const parts = (path.split("?")[0] ?? "").split("/").filter(Boolean);
  switch (parts[0]) {
    case "connections":
      return <ConnectionsPage />;
    case "catalog":
      return <CatalogPage />;
    case "runs":
      return parts[1] ? <RunDetailPage id={decodeURIComponent(parts[1])} /> : <RunsPage />;
    case "settings":
      return <SettingsPage />;
    case "tokens":
      return <TokensPage />;
    case "demo":
      return <DemoPage />;
    case "workflows":
      if (parts[1])
        return <EditorPage key={parts[1]} id={parts[1] === "new" ? undefined : decodeURIComponent(parts[1])} />;
      return <WorkflowsPage />;
    default:
      return <WorkflowsPage />;
  }
}

export function App() {
  const path = usePath();
  const [auth, setAuth] = useState<"checking" | "in" | "out">("checking");
  const [demo, setDemo] = useState(false);

  useEffect(() => {
    api
      .session()
      .then(() => setAuth("in"))
      .catch(() => setAuth("out"));
    return onUnauthorized(() => setAuth("out"));
  }, []);

  useEffect(() => {
    if (auth !== "in") return;
    api.demo
      .info()
      .then((info) => setDemo(info.demo))
      .catch(() => setDemo(false));
  }, [auth]);

  if (auth === "checking") return <p className="sr-only">Loading…</p>;
  if (auth === "out") return <LoginPage onLoggedIn={() => setAuth("in")} />;

  const section = `/${(path.split("?")[0] ?? "").split("/")[1] ?? ""}`;
  return (
    <div className="shell">
      <header className="sidebar">
        <div className="brand">
          cliniko-flow<small>Workflow automation for your clinic</small>
        </div>
        <nav className="nav" aria-label="Main">
          {(demo ? [...sections, demoSection] : sections).map((s) => (
            <a
              key={s.href}
              href={`#${s.href}`}
              aria-current={section === s.href || (section === "/" && s.href === "/workflows") ? "page" : undefined}
            >
              {s.label}
            </a>
          ))}
        </nav>
        <div className="spacer" />
        <button
          type="button"
          className="link-button"
          onClick={() => {
            void api.logout().finally(() => setAuth("out"));
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}
