/**
 * What an assistant can read besides calling tools: the catalogue as one JSON document, and
 * templates for a patient, a clinic day's appointments, a stored workflow and a tool's full input
 * schema (the field docs tools/list leaves out). A template reads through the same catalogue
 * actions and job tools as a tool call, so `--deny` of that tool withholds it too.
 */
import { action, actionSummary, actions, triggerSummary, triggers } from "../catalog/index.ts";
import { ToolRefusal } from "./refusal.ts";
import type { McpTool, ToolContext } from "./tool.ts";

export const CATALOGUE_URI = "cliniko-flow://catalogue";
const JSON_TYPE = "application/json";

export const catalogueResource = {
  uri: CATALOGUE_URI,
  name: "catalogue",
  title: "Cliniko catalogue",
  description:
    "Every Cliniko action (tool) with its input schema and an example output, and every trigger flow_poll_trigger can poll.",
  mimeType: JSON_TYPE,
};

export function catalogueText(): string {
  return JSON.stringify({ actions: actions.map(actionSummary), triggers: triggers.map(triggerSummary) });
}

interface TemplateDef {
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  /** The tool it reads through: denied by name, the template is withheld too. */
  via?: string;
  pattern: RegExp;
  read(ctx: ToolContext, param: string, tools: ReadonlyMap<string, McpTool>): Promise<unknown>;
}

const TEMPLATES: readonly TemplateDef[] = [
  {
    uriTemplate: "cliniko://patients/{id}",
    name: "patient",
    title: "A patient",
    description: "One patient's Cliniko record, by id.",
    via: "find_patient",
    pattern: /^cliniko:\/\/patients\/(\d+)$/,
    async read(ctx, id) {
      const { client } = await ctx.clients.resolve(ctx.connection);
      return action("find_patient").run(client, { id });
    },
  },
  {
    uriTemplate: "cliniko://appointments/{date}",
    name: "appointments",
    title: "A day's appointments",
    description: "Every appointment of a date (YYYY-MM-DD, the clinic's time zone) with names and status.",
    via: "day_schedule",
    pattern: /^cliniko:\/\/appointments\/(\d{4}-\d{2}-\d{2})$/,
    read: (ctx, date, tools) => tools.get("day_schedule")!.call(ctx, { date }),
  },
  {
    uriTemplate: "cliniko-flow://workflows/{name}",
    name: "workflow",
    title: "A stored workflow",
    description: "A workflow's definition, version and state, by name.",
    pattern: /^cliniko-flow:\/\/workflows\/(.+)$/,
    async read(ctx, name) {
      const w = await ctx.store.workflows.find(decodeURIComponent(name));
      if (!w) throw new ToolRefusal(`There is no workflow named "${decodeURIComponent(name)}".`);
      return { name: w.name, version: w.version, enabled: w.enabled, paused: w.pausedReason, definition: w.definition };
    },
  },
  {
    uriTemplate: "cliniko-flow://tools/{name}",
    name: "tool-schema",
    title: "A tool's full input schema",
    description: "A tool's input schema with every field's title and description (tools/list shows a shorter one).",
    pattern: /^cliniko-flow:\/\/tools\/([a-z0-9_]+)$/,
    async read(_ctx, name, tools) {
      const tool = tools.get(name);
      if (!tool) throw new ToolRefusal(`There is no tool named ${name}.`);
      const def = actions.find((a) => a.key === name);
      return { name, inputSchema: def ? def.inputSchema : tool.inputSchema };
    },
  },
];

export const resourceTemplates = TEMPLATES.map(({ uriTemplate, name, title, description }) => ({
  uriTemplate,
  name,
  title,
  description,
  mimeType: JSON_TYPE,
}));

/** The resources listed by name: the catalogue and each stored workflow. */
export async function listResources(ctx: ToolContext) {
  const workflows = await ctx.store.workflows.list();
  return [
    catalogueResource,
    ...workflows.map((w) => ({
      uri: `cliniko-flow://workflows/${encodeURIComponent(w.name)}`,
      name: `workflow ${w.name}`,
      title: `Workflow ${w.name}`,
      mimeType: JSON_TYPE,
    })),
  ];
}

/** Which template a URI is (for the audit log: never the id or date itself). */
export function templateOf(uri: string): string | undefined {
  if (uri === CATALOGUE_URI) return CATALOGUE_URI;
  return TEMPLATES.find((t) => t.pattern.test(uri))?.uriTemplate;
}

/** Reads a resource; throws ToolRefusal for one that does not exist or is withheld. */
export async function readResource(
  ctx: ToolContext,
  uri: string,
  tools: ReadonlyMap<string, McpTool>,
  denied: (tool: string) => boolean,
): Promise<{ uri: string; mimeType: string; text: string }> {
  if (uri === CATALOGUE_URI) return { uri, mimeType: JSON_TYPE, text: catalogueText() };
  for (const t of TEMPLATES) {
    const m = t.pattern.exec(uri);
    if (!m) continue;
    if (t.via && denied(t.via))
      throw new ToolRefusal(`${t.uriTemplate} reads through ${t.via}, which this server denies.`);
    return { uri, mimeType: JSON_TYPE, text: JSON.stringify(await t.read(ctx, m[1]!, tools)) };
  }
  throw new ToolRefusal(
    `There is no resource ${uri} (there are ${CATALOGUE_URI} and ${TEMPLATES.map((t) => t.uriTemplate).join(", ")}).`,
  );
}
