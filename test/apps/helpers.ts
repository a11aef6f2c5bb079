/** Runs one app step the way the runner does (registry entry, rendered input, the provider's connection). */
import { appConnectionConfig } from "../../src/apps/save.ts";
import type { ClientProvider } from "../../src/engine/clients.ts";
import { stepKind } from "../../src/steps/registry.ts";
import type { Store } from "../../src/store/index.ts";

export function runStep(clients: ClientProvider, action: string, input: unknown, connection?: string) {
  const step = { id: "s", action, input, ...(connection ? { connection } : {}) };
  return stepKind(action).execute(
    {
      step,
      path: "steps[0]",
      scope: { trigger: {}, steps: {}, env: {} } as never,
      evaluation: {},
      clients,
      now: Date.now,
    },
    input,
  );
}

export function addApp(store: Store, name: string, kind: string, settings: Record<string, unknown>, baseUrl?: string) {
  return store.connections.saveApp(appConnectionConfig(name, kind, settings, baseUrl));
}
