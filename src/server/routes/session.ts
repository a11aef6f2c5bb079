/** Logging in and out with the admin password; the session is an HttpOnly cookie the app sets. */
import { HttpError } from "../errors.ts";
import { LoginBody, Ok, SessionView } from "../schemas.ts";
import type { RoutePlugin } from "./context.ts";

export const sessionRoutes: RoutePlugin = async (app, ctx) => {
  app.post(
    "/api/login",
    {
      config: { public: true, rateLimit: { max: ctx.loginAttemptsPerMinute, timeWindow: "1 minute" } },
      schema: {
        summary: "Log in with the admin password; sets the session cookie (HttpOnly, SameSite=Strict).",
        tags: ["auth"],
        security: [],
        body: LoginBody,
        response: { 200: Ok },
      },
    },
    async (req, reply) => {
      if (!(await ctx.auth.hasPassword()))
        throw new HttpError(
          409,
          "no_password",
          "No admin password is set yet: run `cliniko-flow admin set-password` or set CLINIKO_FLOW_ADMIN_PASSWORD.",
        );
      if (!(await ctx.auth.checkPassword(req.body.password)))
        throw new HttpError(401, "invalid_password", "That password is not right.");
      await ctx.startSession(reply);
      return { ok: true };
    },
  );

  app.post(
    "/api/logout",
    { schema: { summary: "End the session.", tags: ["auth"], response: { 200: Ok } } },
    async (req, reply) => {
      await ctx.endSession(req, reply);
      return { ok: true };
    },
  );

  app.get(
    "/api/session",
    {
      schema: {
        summary: "Whether the request is authenticated (401 otherwise).",
        tags: ["auth"],
        response: { 200: SessionView },
      },
    },
    async (req) => ({
      authenticated: true,
      via: ctx.actor(req) === "token" ? ("token" as const) : ("session" as const),
    }),
  );
};
