# Homegate, headless: the gateway with its CLI, as a small non-root container.
#   docker build -t homegate .
#   docker run -d -p 8443:8443 -v homegate-data:/data homegate
# The CLI bundle carries its dependencies, so the runtime image needs only Node, three files and the web admin page.

FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOMEGATE_DATA_DIR=/data
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin/homegate.js ./bin/homegate.js
COPY --from=build /src/out/cli/homegate.js ./out/cli/homegate.js
COPY --from=build /src/out/renderer ./out/renderer
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["node", "bin/homegate.js", "health"]
CMD ["node", "bin/homegate.js", "serve"]
