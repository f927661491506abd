# One image for every subcommand: `dynatrace-operator <subcommand>` (operator, webhook-server, bootstrap,
# csi-server, csi-provisioner, ...). It runs the esbuild bundle (`npm run build`), not the TypeScript sources.
# Non-root, and nothing writes to the image's filesystem, so pods can set readOnlyRootFilesystem: true.
# The CSI DaemonSet runs the same image privileged (mounts need it), as the original does.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The `node` devDependency is not needed inside a Node image; skip install scripts (none are needed to build).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN node scripts/bundle.ts \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /runtime/node_modules && cp -r node_modules/koffi /runtime/node_modules/

FROM node:24-bookworm-slim
LABEL org.opencontainers.image.title="dynatrace-operator-ts" \
      org.opencontainers.image.description="TypeScript (Effect) re-implementation of the Dynatrace Operator"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist ./dist
COPY --from=build /runtime/node_modules ./node_modules
# The init container copies agent files into volumes owned by the pod; 1001 matches the original's non-root user.
USER 1001:1001
ENTRYPOINT ["node", "/app/dist/main.js"]
