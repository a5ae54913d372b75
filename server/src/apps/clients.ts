// Each of Meridian's apps is a public SMART client (PKCE, no secret), registered at start with its
// page as redirect_uri and launch URL on this server's origin. `meridian_launch_url` is client
// metadata: a client registered with one (config file or admin API) is offered by the launcher too.
import type { ClientMetadata } from 'oidc-provider';
import { APPS, appClientId } from '../../../smart-apps/catalog.js';
import type { Config } from '../config.js';

export const appUrl = (config: Config, id: string) => `${new URL(config.baseUrl).origin}/apps/${id}/`;

export function appClients(config: Config): ClientMetadata[] {
  return APPS.map((app) => ({
    client_id: appClientId(app.id),
    client_name: `Meridian ${app.name}`,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [appUrl(config, app.id)],
    ...(app.launch === 'ehr' ? { meridian_launch_url: appUrl(config, app.id) } : {}),
  }));
}
