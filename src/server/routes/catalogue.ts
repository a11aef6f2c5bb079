/**
 * The catalogue as the API shows it: the actions and triggers, with the engine's built-in steps and
 * triggers (from the engine port) after them, and trigger samples (live from a connection on request).
 */
import { actionSummary, triggerSummary, triggers } from "../../catalog/index.ts";
import { withLinkIds } from "../../catalog/links.ts";
import { onConnection } from "../../catalog/samples.ts";
import { stampOf } from "../../catalog/triggers.ts";
import type { TriggerRecord } from "../../catalog/types.ts";
import { groupRank, keywordsOf } from "../../catalog/words.ts";
import type { ClinikoClient, ClinikoRecord } from "../../cliniko/types.ts";
import { dueEvent, RecordLookups } from "../../engine/due/event.ts";
import { stepKinds } from "../../steps/registry.ts";
import type { ServerEngine } from "../engine-port.ts";
import { notFound } from "../errors.ts";
import { CatalogAction, CatalogTrigger, IdParams, SampleQuery, SampleView } from "../schemas.ts";
import type { CatalogAction as Action, CatalogTrigger as Trigger } from "../wire.ts";
import type { RoutePlugin } from "./context.ts";

/** Every step kind of the registry, as the editor's palette shows it: catalogue actions, then built-ins. */
export function catalogActions(): Action[] {
  return stepKinds().map((k) => ({
    ...(k.action
      ? actionSummary(k.action)
      : {
          key: k.key,
          title: k.title,
          group: k.group,
          // An app's action (email.send, …) or one of the engine's own steps.
          kind: k.builtin ? "builtin" : "app",
          description: k.description,
          inputSchema: k.inputSchema,
          outputSample: k.outputSample,
          builtin: k.builtin,
        }),
    connection: k.connection ?? null,
    ...(k.connections ? { connections: [...k.connections] } : {}),
    effects: [...k.effects],
    nests: k.nests ?? null,
    keywords: [...(k.keywords ?? []), ...keywordsOf(k.key)],
    groupRank: groupRank(k.group),
  }));
}

export function catalogTriggers(engine?: ServerEngine): Trigger[] {
  const list: Trigger[] = triggers.map((t) => ({
    ...triggerSummary(t),
    keywords: keywordsOf(t.key),
    groupRank: groupRank(t.group),
  }));
  for (const b of engine?.builtinTriggers?.() ?? [])
    list.push({
      ...b,
      group: "Built-in triggers",
      kind: "builtin",
      builtin: true,
      keywords: [...new Set([...(b.keywords ?? []), ...keywordsOf(b.key)])],
      groupRank: groupRank("Built-in triggers"),
    });
  return list;
}

/** A trigger's name for lists (built-in ones included); the key when no trigger has it. */
export function triggerTitles(engine?: ServerEngine): (key: string) => string {
  const titles = new Map(catalogTriggers(engine).map((t) => [t.key, t.title]));
  return (key) => titles.get(key) ?? key;
}

/** The newest record this trigger would fire for, as a realistic sample payload. */
export async function liveSample(client: ClinikoClient, key: string): Promise<ClinikoRecord | undefined> {
  const t = triggers.find((x) => x.key === key);
  if (!t) throw notFound(`Trigger "${key}"`);
  const first = t.paths[0];
  if (!first) return undefined;
  const page = await client.listPage(first, { perPage: 20, sort: "updated_at:desc", q: t.stateFilters });
  const record =
    t.event === "new"
      ? page.records[0]
      : t.event === "updated"
        ? (page.records.find((r) => r.created_at !== r.updated_at) ?? page.records[0])
        : page.records.find((r) => stampOf(r as TriggerRecord, t));
  // A due trigger's event is the appointment with its patient, names and local times.
  if (t.due && record) return dueEvent(withLinkIds(record), String(record.starts_at), new RecordLookups(client));
  return record && withLinkIds(record);
}

/** Computes once, on first use. */
const once = <T>(compute: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= compute());
};

export const catalogueRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["catalogue"];
  // The catalogue is fixed while the process runs. Checking its ~260 KB against the response
  // schema on every request cost 70-150 ms of CPU — seconds on a loaded machine, all of which the
  // editor waited through before its trigger and step search showed anything. So it is checked
  // and serialised once; a JSON string is sent as it is (hence `as never`: the typed reply expects
  // the object form).
  const actionsJson = once(() => JSON.stringify(CatalogAction.array().parse(catalogActions())));
  const triggersJson = once(() => JSON.stringify(CatalogTrigger.array().parse(catalogTriggers(ctx.engine))));
  const json = "application/json; charset=utf-8";

  app.get(
    "/api/catalog/actions",
    {
      schema: {
        summary:
          "Every Cliniko action (the brief's 98, then those beyond it) and the built-in steps, each with its input JSON Schema and an output sample.",
        tags,
        response: { 200: CatalogAction.array() },
      },
    },
    async (_req, reply) => reply.type(json).send(actionsJson() as never),
  );

  app.get(
    "/api/catalog/triggers",
    {
      schema: {
        summary:
          "Every polling trigger (the brief's 36, then those beyond it) and the built-in ones, each with a sample event.",
        tags,
        response: { 200: CatalogTrigger.array() },
      },
    },
    async (_req, reply) => reply.type(json).send(triggersJson() as never),
  );

  app.get(
    "/api/catalog/triggers/:id/sample",
    {
      schema: {
        summary: "A trigger's sample event; with live=1, the newest matching record from the connection.",
        tags,
        params: IdParams,
        querystring: SampleQuery,
        response: { 200: SampleView },
      },
    },
    async (req) => {
      const { params, query } = req;
      const entry = catalogTriggers(ctx.engine).find((t) => t.key === params.id);
      if (!entry) throw notFound(`Trigger "${params.id}"`);
      if (query.live === "1" || query.live === "true") {
        const client = await ctx.clientFor(query.connection || "default");
        const record = await liveSample(client, params.id);
        if (record) return { sample: record, live: true };
        return { sample: onConnection(entry.sample ?? {}, client.baseUrl), live: false };
      }
      return { sample: entry.sample ?? {}, live: false };
    },
  );
};
