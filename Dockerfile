FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY server ./server
COPY seed ./seed
COPY tsconfig.json ./
ENV PORT=8080
EXPOSE 8080
CMD ["node", "--import", "tsx", "server/src/main.ts"]
