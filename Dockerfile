FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY server ./server
COPY seed ./seed
COPY profiles ./profiles
COPY terminology ./terminology
COPY smart-apps ./smart-apps
COPY tsconfig.json ./
# the SMART apps' bundles (esbuild), served under /apps/
RUN npx tsx smart-apps/build.ts
ENV PORT=8080
EXPOSE 8080
CMD ["node", "--import", "tsx", "server/src/main.ts"]
