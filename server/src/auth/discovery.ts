// SMART App Launch 2 discovery: [base]/.well-known/smart-configuration. It lists only what Meridian
// really does (the OpenID configuration is at [issuer]/.well-known/openid-configuration).
import type { Config } from '../config.js';

export function smartConfiguration(config: Config, issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/token/introspection`,
    revocation_endpoint: `${issuer}/token/revocation`,
    userinfo_endpoint: `${issuer}/me`,
    ...(config.dynamicRegistration ? { registration_endpoint: `${issuer}/reg` } : {}),
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'RS256', 'ES256'],
    scopes_supported: [
      'openid', 'fhirUser', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access',
      'patient/*.rs', 'patient/*.cruds', 'patient/*.read', 'user/*.rs', 'user/*.cruds', 'user/*.read', 'user/*.write',
      'system/*.cruds', 'system/*.rs', 'system/*.read', 'system/*.write', 'system/*.*',
    ],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-ehr', 'launch-standalone', 'authorize-post',
      'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-style', 'context-banner',
      'sso-openid-connect', 'permission-offline', 'permission-online', 'permission-patient', 'permission-user',
      'permission-v1', 'permission-v2',
    ],
  };
}
