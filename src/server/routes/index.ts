/** The API's areas, in the order the OpenAPI document lists them. */
import { catalogueRoutes } from "./catalogue.ts";
import { connectionRoutes } from "./connections.ts";
import type { RoutePlugin } from "./context.ts";
import { demoRoutes } from "./demo.ts";
import { hookRoutes } from "./hooks.ts";
import { runRoutes } from "./runs.ts";
import { sessionRoutes } from "./session.ts";
import { settingRoutes } from "./settings.ts";
import { templateRoutes } from "./templates.ts";
import { tokenRoutes } from "./tokens.ts";
import { workflowRoutes } from "./workflows.ts";

export type { RouteContext } from "./context.ts";

export const routePlugins: RoutePlugin[] = [
  sessionRoutes,
  tokenRoutes,
  connectionRoutes,
  settingRoutes,
  catalogueRoutes,
  workflowRoutes,
  templateRoutes,
  hookRoutes,
  runRoutes,
  demoRoutes,
];
