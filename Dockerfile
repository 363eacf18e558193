# Maestro's API, console and workers, for use with the Temporal and PostgreSQL of docker-compose.yml
# (or any cluster given by TEMPORAL_ADDRESS and DATABASE_URL).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` from the lock (not `npm ci`: npm leaves @swc/core's optional platform packages out of
# the lock, and `npm ci` then refuses it).
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# git: Maestro works on git repositories.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/activities/agents/prompts ./activities/agents/prompts
COPY --from=build /app/stack/demo/sample-repo ./stack/demo/sample-repo
RUN mkdir -p /data && chown node:node /data
USER node
ENV NODE_ENV=production \
    MAESTRO_DATA_DIR=/data \
    MAESTRO_API_HOST=0.0.0.0
EXPOSE 4800
VOLUME ["/data"]
CMD ["node", "--max-semi-space-size=4", "dist/stack/main.js"]
