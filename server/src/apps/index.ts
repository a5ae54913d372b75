export { appClients, appUrl } from './clients.js';
export { appRoutes, APPS_DIST, type LaunchableApp } from './routes.js';
