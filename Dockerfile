# cliniko-flow as a container image: `serve` (the whole product on SQLite in /data, or the api role
# with PostgreSQL and Redis) and `worker`. compose.yaml runs it; docs/deploy.md explains how.
#
#   docker build -t cliniko-flow .        (or: podman build --format docker -t cliniko-flow .)
#   docker run -p 127.0.0.1:3000:3000 -v cliniko-flow-data:/data cliniko-flow serve --demo

# Build stage: every dependency, the compiled server (dist/) and the web UI (web/dist/).
FROM node:24-bookworm-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the root package's `prepare` would build before the sources are here, and the
# native modules (better-sqlite3, argon2) ship prebuilt binaries, so nothing needs compiling.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY web web
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: Node, the production dependencies and the built files; no compiler, no sources.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/data/cliniko-flow.db \
    CLINIKO_FLOW_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/web/dist web/dist
COPY bin bin
COPY examples examples
# State lives in the /data volume only (the SQLite database, the generated secret and the demo
# password, each file mode 0600), owned by the unprivileged `node` user (uid 1000): the root
# filesystem can be mounted read-only.
RUN mkdir -m 0700 /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# A slim image has no curl: node asks /healthz itself. HEALTH_PORT points it at a worker's --port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT || process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# umask 077: every file written to /data (the database and its journal too) is owner-only. The
# shell execs node, so node is PID 1 and handles SIGTERM itself: it stops taking work and finishes
# the runs in flight. It starts no child processes, so there is nothing to reap and no init needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c", "umask 077 && exec node /app/bin/cliniko-flow.js \"$@\"", "cliniko-flow"]
CMD ["serve"]
