// SMART App Launch 2 discovery: [base]/.well-known/smart-configuration. It lists only what Meridian
// really does; capabilities join the list as they are built (launch, patient context, ...). No
// authorization_endpoint yet: app launch (authorization code, logins) is not built.
import type { Config } from '../config.js';

export function smartConfiguration(config: Config, issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/token/introspection`,
    revocation_endpoint: `${issuer}/token/revocation`,
    ...(config.dynamicRegistration ? { registration_endpoint: `${issuer}/reg` } : {}),
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'RS256', 'ES256'],
    scopes_supported: ['system/*.cruds', 'system/*.read', 'system/*.write', 'system/*.*'],
    code_challenge_methods_supported: ['S256'],
    capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric', 'permission-v1', 'permission-v2'],
  };
}
