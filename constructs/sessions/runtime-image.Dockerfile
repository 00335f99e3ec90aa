# The session runtime (controller and sign-in broker, one image, role by argument), from the
# npm package's prebuilt context (dist/runtime-image, written by `npm run build`): our code is
# bundled into main.js; its npm dependencies are installed from the cut-down lock file, without
# dev dependencies and without install scripts. Built by CDK (DockerImageAsset): `cdk deploy`
# needs Docker, `cdk synth` does not.
# Exact tag (docker-library/official-images, library/node, 2026-08); no digest is pinned because
# none could be read on the machine this was written on: pin one with `docker buildx imagetools
# inspect node:22.23.2-bookworm-slim` where Docker runs.
FROM node:22.23.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY main.js ./
# The base image's unprivileged user (node, uid 1000); the chart also sets runAsNonRoot and a
# read-only root filesystem, which works: the runtime writes no files.
USER 1000:1000
EXPOSE 8080 9090
ENTRYPOINT ["node", "/app/main.js"]
