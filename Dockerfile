# syntax=docker/dockerfile:1
# The base is a build argument: `docker build .` starts from the official Node 24 (current LTS)
# image; CI, where no registry is reachable, passes `--build-arg BASE=localhost/cdn-node-base:24`
# built by scripts/build-base-image.sh (same layout: Debian bookworm, /usr/local/bin/node, user
# `node` 1000:1000).
ARG BASE=node:24-bookworm-slim

# Every dependency, dev tools included (tsc for the build, tsx and the vendor signers for the
# emulators). No install scripts: nothing here needs a native build.
FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# Build stage: compile TypeScript, bundle dist/cli.js (scripts/bundle.mjs) and keep only the runtime dependencies.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/form-data-refused.cjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# The emulated vendors of the demo (docker-compose.yml, profile `demo`); never part of the collector image.
FROM deps AS emulators
COPY tsconfig.json ./
# The emulator index takes the vendors from the collector's module registry.
COPY src ./src
COPY test/emulators ./test/emulators
USER node
EXPOSE 18081 18082 18083 18084
ENTRYPOINT ["node_modules/.bin/tsx", "test/emulators/serve.ts"]

# Runtime stage (the default target): no compiler, no dev dependencies, not root.
FROM ${BASE} AS runtime
ENV NODE_ENV=production \
    STATE_DIR=/data \
    HTTP_PORT=9464 \
    HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config/default.json ./config/default.json
COPY docker/entrypoint.sh /usr/local/bin/cdn-entrypoint
# /data is created owned by node, so a fresh named volume mounted there starts owned by node too.
# No VOLUME instruction: an anonymous volume per `docker run --rm` would silently drop the
# checkpoints; mount a named volume or a directory owned by uid 1000 (docs/deploy.md).
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 9464
# Liveness, not readiness: Docker (and Swarm, autoheal, `depends_on: service_healthy`) acts on
# "unhealthy" by restarting or replacing the container, which cures a stuck process but not an
# InfluxDB outage; /readyz (= /healthz) goes 503 while InfluxDB is down and the collector waits
# with its checkpoints, which is correct behaviour, not a reason to restart it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||9464)+'/livez',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The entrypoint runs `node /app/dist/cli.js "$@"` (exec: node is PID 1 and gets SIGTERM itself);
# it only adds the /data ownership check (and the fix when started as root).
ENTRYPOINT ["cdn-entrypoint"]
CMD ["run"]
