# model-gateway: the gateway, the sink and the CLI in one image.
#   docker build -t model-gateway:0.1.0 .
#   docker run --rm -p 8080:8080 -p 127.0.0.1:8081:8081 --read-only model-gateway:0.1.0
#   docker run --rm model-gateway:0.1.0 sink --brokers kafka:9092 --clickhouse http://clickhouse:8123
#   docker run --rm model-gateway:0.1.0 migrate --clickhouse http://clickhouse:8123 --kafka --brokers kafka:9092
# The entrypoint is the CLI (`model-gateway`); with no arguments it serves the
# gateway with /etc/model-gateway/gateway.yaml (mount your own over it).
#
# BASE_IMAGE must provide Node.js 20.19+ (and npm for the build stage). The
# default is the official Node image; bench/container.ts builds the same file
# with a base made of Debian packages instead (see docs/deployment.md).
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY gateway ./gateway
COPY proto ./proto
COPY scorer-sdk ./scorer-sdk
COPY scripts ./scripts
COPY bench ./bench
COPY test ./test
COPY console ./console
# npm run build: the TypeScript, and the console's bundle into dist/console (vite).
RUN npm run build && chmod +x dist/gateway/cli/main.js && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    GATEWAY_CONFIG=/etc/model-gateway/gateway.yaml \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY scorer-sdk/examples/fraud/*.json ./scorer-sdk/examples/fraud/
COPY config ./config
# The gRPC definition, read at run time where a message is decoded whole (dist/proto finds it here).
COPY proto/grpc_predict_v2.proto ./proto/
COPY config/gateway.yaml /etc/model-gateway/gateway.yaml
# The CLI the docs spell `npx model-gateway …` works here as it does in a clone
# (npx finds the package's own bin in /app; its cache goes to /tmp, as the root
# filesystem is read-only), and as plain `model-gateway` on PATH.
RUN ln -s /app/dist/gateway/cli/main.js /usr/local/bin/model-gateway
ENV npm_config_cache=/tmp/.npm \
    npm_config_update_notifier=false
# Numeric, so Kubernetes' runAsNonRoot can check it. Nothing in the image is
# writable by this user: the gateway writes only where a config points (state
# file, file log sink), which belongs on a mounted volume or /tmp.
USER 10001:10001
EXPOSE 8080 8081 8082
ENTRYPOINT ["node", "dist/gateway/cli/main.js"]
CMD ["serve"]
