/** API tokens for scripts: listed without the token, shown once when created, revocable. */
import { notFound } from "../errors.ts";
import { CreatedToken, IdParams, NoContent, TokenCreateBody, TokenView } from "../schemas.ts";
import type { RoutePlugin } from "./context.ts";

export const tokenRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    "/api/tokens",
    {
      schema: {
        summary: "List API tokens (never the tokens themselves).",
        tags: ["auth"],
        response: { 200: TokenView.array() },
      },
    },
    () => ctx.auth.listTokens(),
  );

  app.post(
    "/api/tokens",
    {
      schema: {
        summary: "Create an API token for scripts; the token is in this response only.",
        tags: ["auth"],
        body: TokenCreateBody,
        response: { 201: CreatedToken },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await ctx.auth.createToken(req.body.name, { scope: req.body.scope, expiresAt: req.body.expiresAt })),
  );

  app.delete(
    "/api/tokens/:id",
    {
      schema: { summary: "Revoke an API token.", tags: ["auth"], params: IdParams, response: { 204: NoContent } },
    },
    async (req, reply) => {
      if (!(await ctx.auth.removeToken(req.params.id))) throw notFound("Token");
      return reply.code(204).send();
    },
  );
};
