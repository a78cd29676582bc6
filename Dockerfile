# model-gateway: the gateway, the sink and the CLI in one image.
#   docker build -t model-gateway .
#   docker run -p 8080:8080 -v $PWD/config:/etc/model-gateway model-gateway
# The same image runs the sink: docker run model-gateway node dist/gateway/cli/main.js sink

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY gateway ./gateway
COPY scorer-sdk ./scorer-sdk
COPY scripts ./scripts
COPY bench ./bench
COPY test ./test
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY scorer-sdk/examples/fraud/*.json ./scorer-sdk/examples/fraud/
COPY config ./config
USER node
EXPOSE 8080 8081
# Listen on all interfaces inside the container; the admin port should stay
# unpublished or behind a network policy.
ENTRYPOINT ["node", "dist/gateway/main.js"]
CMD ["--config", "/etc/model-gateway/gateway.yaml"]
