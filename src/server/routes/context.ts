/**
 * What every route plugin gets: the stores, the engine port and the session helpers (the app
 * owns cookie options and authentication). Routes say how they are reached through Fastify's
 * route `config`: the app's API scope reads `public`, `crossSite` and `demoOnly` before anything
 * else runs (see app.ts), and @fastify/rate-limit reads `rateLimit`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ClinikoClient } from "../../cliniko/types.ts";
import type { ClientProvider } from "../../engine/clients.ts";
import type { Store } from "../../store/index.ts";
import type { AuthStore } from "../auth.ts";
import type { DemoClinic } from "../demo-clinic.ts";
import type { ServerEngine } from "../engine-port.ts";
import { HttpError } from "../errors.ts";
import type { WebhookTokens } from "../webhooks.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** No login needed (login itself, inbound webhooks). */
    public?: boolean;
    /** Other sites may call it (inbound webhooks: the token in the URL is the credential). */
    crossSite?: boolean;
    /** Answers only under `serve --demo`; otherwise 404 like any unknown path. */
    demoOnly?: boolean;
  }
}

import type { WebhookLimits } from "../webhook-limits.ts";

export interface RouteContext {
  store: Store;
  auth: AuthStore;
  webhooks: WebhookTokens;
  engine?: ServerEngine;
  /** The sandbox clinic's changes, under `serve --demo` only. */
  demo?: DemoClinic;
  /** Login attempts allowed per client address per minute. */
  loginAttemptsPerMinute: number;
  /** Posts per minute one webhook URL accepts. */
  webhookPostsPerMinute: number;
  /** What one webhook URL may make the server store (body size, queued runs, stored bytes). */
  webhookLimits: WebhookLimits;
  /** A Cliniko client for a stored connection (the engine's, so pacing is shared). */
  clientFor(connection: string): Promise<ClinikoClient>;
  /** The engine's provider (app connections' test calls share its limiters). */
  clients: ClientProvider;
  /** Marks the session cookie; the app owns cookie options. */
  startSession(reply: FastifyReply): Promise<void>;
  endSession(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  actor(req: FastifyRequest): string;
}

/** One area of the API (connections, workflows…): a Fastify plugin given the route context. */
export type RoutePlugin = FastifyPluginAsyncZod<RouteContext>;

export const missingEngine = () =>
  new HttpError(503, "engine_unavailable", "The workflow engine is not running in this process.");

/** The answer for a path nothing serves; the app's not-found handler and demoOnly routes share it. */
export const noRoute = (method: string, url: string) =>
  new HttpError(404, "not_found", `No route ${method} ${url.split("?")[0]} (see /api/openapi.json).`);
