/**
 * The Demo clinic (serve --demo): what is in the sandbox clinic, and changes in it a receptionist
 * would make, so a trigger can fire from the UI. The change routes are `demoOnly`: without --demo
 * they answer 404 like any unknown path (the OpenAPI document lists them either way).
 */
import { DEMO_ACTIONS } from "../demo-clinic.ts";
import { DemoChange, DemoInfo, DemoPatientBody } from "../schemas.ts";
import { noRoute, type RoutePlugin } from "./context.ts";

export const demoRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["demo"];

  app.get(
    "/api/demo",
    {
      schema: {
        summary: "Whether serve --demo runs; then the sandbox clinic's base URL and row counts.",
        tags,
        response: { 200: DemoInfo },
      },
    },
    async () => (ctx.demo ? ctx.demo.info() : { demo: false }),
  );

  for (const a of DEMO_ACTIONS) {
    const url = `/api/demo/${a.key}`;
    const status = a.creates ? 201 : 200;
    const schema = {
      summary: `${a.label} in the sandbox clinic (serve --demo only; 404 otherwise).`,
      tags,
      response: { [status]: DemoChange },
    };
    const config = { demoOnly: true };
    if (a.key === "add-patient")
      app.post(url, { config, schema: { ...schema, body: DemoPatientBody } }, async (req, reply) => {
        if (!ctx.demo) throw noRoute(req.method, req.url);
        return reply.code(status).send(ctx.demo.apply(a.key, req.body));
      });
    else
      app.post(url, { config, schema }, async (req, reply) => {
        if (!ctx.demo) throw noRoute(req.method, req.url);
        return reply.code(status).send(ctx.demo.apply(a.key));
      });
  }
};
