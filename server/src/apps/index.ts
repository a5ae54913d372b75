export { appClients, appUrl } from './clients.js';
export { appRoutes, APPS_DIST } from './routes.js';
