/** The templates gallery: ready workflows (examples/), each imported with one request as a draft. */
import { listTemplates, loadTemplate, UnknownTemplateError } from "../../engine/templates.ts";
import { notFound } from "../errors.ts";
import { IdParams, TemplateImportBody, TemplateView, WorkflowView } from "../schemas.ts";
import { triggerTitles } from "./catalogue.ts";
import type { RoutePlugin } from "./context.ts";
import { viewOf } from "./workflows.ts";

export const templateRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["templates"];

  app.get(
    "/api/templates",
    { schema: { summary: "The ready workflows of the gallery.", tags, response: { 200: TemplateView.array() } } },
    async () => listTemplates(),
  );

  app.post(
    "/api/templates/:id/import",
    {
      schema: {
        summary:
          "Save a template as a new workflow, switched off, its trigger and Cliniko steps on the given connection (default: the first Cliniko one); a name already taken gets a number.",
        tags,
        params: IdParams,
        body: TemplateImportBody,
        response: { 201: WorkflowView },
      },
    },
    async (req, reply) => {
      const connection =
        req.body?.connection ?? (await ctx.store.connections.list()).find((c) => c.kind === "cliniko")?.name;
      let template: ReturnType<typeof loadTemplate>;
      try {
        template = loadTemplate(req.params.id, { connection });
      } catch (err) {
        if (err instanceof UnknownTemplateError) throw notFound(`Template "${req.params.id}"`);
        throw err;
      }
      const { definition } = template;
      let name = definition.name;
      for (let n = 2; await ctx.store.workflows.find(name); n++) name = `${definition.name} (${n})`;
      const saved = await ctx.store.workflows.save(
        name,
        { ...definition, name, enabled: undefined },
        { enabled: false, actor: ctx.actor(req) },
      );
      ctx.engine?.notify?.("workflows-changed");
      return reply.code(201).send(viewOf(saved, triggerTitles(ctx.engine)));
    },
  );
};
