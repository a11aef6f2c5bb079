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
    app.post(
      `/api/demo/${a.key}`,
      {
        config: { demoOnly: true },
        schema: {
          summary: `${a.label} in the sandbox clinic (serve --demo only; 404 otherwise).`,
          tags,
          ...(a.key === "add-patient" ? { body: DemoPatientBody } : {}),
          response: { [a.creates ? 201 : 200]: DemoChange },
        },
      },
      async (req, reply) => {
        if (!ctx.demo) throw noRoute(req.method, req.url);
        const input =
          a.key === "add-patient" ? (req.body as { firstName?: string; lastName?: string } | undefined) : undefined;
        return reply.code(a.creates ? 201 : 200).send(await ctx.demo.apply(a.key, input));
      },
    );
  }
};
