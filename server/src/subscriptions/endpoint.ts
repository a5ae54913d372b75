// Where a rest-hook may POST: http(s) only, and not to this machine or a private network unless
// SUBSCRIPTION_ALLOW_PRIVATE_ENDPOINTS says so (else a subscription could probe the inside: SSRF).
// Checked on the URL at create, and on the resolved addresses before every delivery.
import dns from 'node:dns/promises';
import net from 'node:net';
import { badRequest } from '../fhir/outcome.js';

const PRIVATE = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) PRIVATE.addSubnet(prefix, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  return PRIVATE.check(address, family);
}

/** The endpoint URL when it is one a rest-hook may use, else a 400. */
export function checkEndpoint(endpoint: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw badRequest(`The endpoint "${endpoint}" is not an absolute URL`, 'Subscription.channel.endpoint');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badRequest(`The endpoint must be http or https, not ${url.protocol}`, 'Subscription.channel.endpoint');
  }
  if (url.username || url.password) throw badRequest('The endpoint must not carry credentials (use channel.header)', 'Subscription.channel.endpoint');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) && isPrivateAddress(host)))) {
    throw badRequest(`The endpoint ${url.origin} is on this machine or a private network (SUBSCRIPTION_ALLOW_PRIVATE_ENDPOINTS allows it)`, 'Subscription.channel.endpoint');
  }
  return url.toString();
}

/** Before a delivery: the host must still resolve to public addresses (DNS can change after create). */
export async function endpointReachable(endpoint: string, allowPrivate: boolean): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) return `${host} does not resolve`;
  const bad = addresses.find(isPrivateAddress);
  return bad ? `${host} resolves to ${bad}, a private address` : undefined;
}
