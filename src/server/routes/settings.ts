/**
 * Settings a practice manager sets in the web UI, which templates read as `env.FLOW_…`. A
 * secret is written, never read back: listings show that it is set, not its value.
 */
import { settingsReadByWorkflow } from "../../engine/settings.ts";
import { validateWorkflow, type WorkflowDefinition } from "../../engine/workflow.ts";
import { notFound } from "../errors.ts";
import { NoContent, SettingBody, SettingNameParams, SettingsView, SettingView } from "../schemas.ts";
import type { RoutePlugin } from "./context.ts";

export const settingRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    "/api/settings",
    {
      schema: {
        summary:
          "List the settings templates read as env.FLOW_… (secrets without their value), and the unset ones workflows read.",
        tags: ["settings"],
        response: { 200: SettingsView },
      },
    },
    async () => {
      const settings = await ctx.store.settings.list();
      const environment = ctx.clients.environmentSettings();
      const set = new Set([...settings.map((s) => s.name), ...environment]);
      const missing = new Map<string, string[]>();
      for (const w of await ctx.store.workflows.list()) {
        let def: WorkflowDefinition;
        try {
          def = validateWorkflow(w.definition, w.name);
        } catch {
          continue; // a stored file the model no longer accepts says so where it is opened
        }
        for (const name of settingsReadByWorkflow(def))
          if (!set.has(name)) missing.set(name, [...(missing.get(name) ?? []), w.name]);
      }
      return {
        settings,
        environment,
        missing: [...missing.entries()].map(([name, workflows]) => ({ name, workflows })),
      };
    },
  );

  app.put(
    "/api/settings/:name",
    {
      schema: {
        summary: "Set a setting (a secret is stored encrypted and never shown again).",
        tags: ["settings"],
        params: SettingNameParams,
        body: SettingBody,
        response: { 200: SettingView },
      },
    },
    async (req) => {
      const { name } = req.params;
      await ctx.store.settings.set(name, req.body.value, req.body.secret, ctx.actor(req));
      const saved = (await ctx.store.settings.list()).find((s) => s.name === name);
      if (!saved) throw notFound(`Setting ${name}`);
      return saved;
    },
  );

  app.delete(
    "/api/settings/:name",
    {
      schema: {
        summary: "Remove a setting.",
        tags: ["settings"],
        params: SettingNameParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      if (!(await ctx.store.settings.remove(req.params.name, ctx.actor(req))))
        throw notFound(`Setting ${req.params.name}`);
      return reply.code(204).send();
    },
  );
};
