// What a Subscription resource asks for, checked: an R4 criteria subscription ("Observation?code=...")
// or a topic-based one (Subscriptions R5 Backport IG: criteria is a topic canonical, with filters),
// on a channel and payload Meridian delivers. Anything else is refused at create (400), as the IG says.
import type { Subscription } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { isResourceType } from '../fhir/definitions.js';
import { needsTerminology, parseCriteria, type Criterion } from '../search/index.js';
import { checkEndpoint } from './endpoint.js';
import { topicByUrl, type Topic } from './topics.js';

export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_PROFILE = `${BACKPORT}/backport-subscription`;
const FILTER = `${BACKPORT}/backport-filter-criteria`;
const HEARTBEAT = `${BACKPORT}/backport-heartbeat-period`;
const TIMEOUT = `${BACKPORT}/backport-timeout`;
const CONTENT = `${BACKPORT}/backport-payload-content`;

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

export interface SubscriptionSpec {
  id: string;
  status: string;
  /** The resource type whose writes it watches. */
  resourceType: string;
  /** Search criteria a version must match (the R4 criteria, or the topic's query and the filters). */
  criteria: Criterion[];
  /** Topic-based (backport) subscriptions: their topic. */
  topic?: Topic;
  channel: 'rest-hook' | 'websocket';
  endpoint?: string;
  headers: [string, string][];
  /** The payload's media type (R4: absent means no body); content: what a notification carries. */
  payload?: string;
  content: PayloadContent;
  /** Seconds between heartbeats when nothing else was sent (0: none). */
  heartbeatSeconds: number;
  /** Seconds a rest-hook POST may take. */
  timeoutSeconds: number;
  end?: string;
  /** Subscription.error: why the server set status error (or off). */
  error?: string;
}

export interface SpecOptions {
  baseUrl: string;
  allowPrivateEndpoints: boolean;
}

/** The checked subscription, or a 400 naming what Meridian does not support. */
type Ext = { url: string; valueString?: string; [value: string]: unknown };
/** The primitive elements' extensions (FHIR JSON's _criteria, _payload), which the typings leave out. */
type WithPrimitiveExtensions = Subscription & { _criteria?: { extension?: Ext[] }; channel: { _payload?: { extension?: Ext[] } } };

export function subscriptionSpec(resource: Subscription, options: SpecOptions): SubscriptionSpec {
  const s = resource as WithPrimitiveExtensions;
  const backport = (s.meta?.profile ?? []).includes(BACKPORT_PROFILE) || /^https?:\/\/[^?]*SubscriptionTopic\//.test(s.criteria ?? '');
  const channelType = s.channel?.type;
  if (channelType !== 'rest-hook' && channelType !== 'websocket') {
    throw badRequest(`Subscription channel type "${channelType}" is not supported (rest-hook, websocket)`, 'Subscription.channel.type');
  }
  const payload = s.channel.payload;
  if (payload !== undefined && payload !== 'application/fhir+json' && payload !== 'application/json') {
    throw badRequest(`Subscription payload "${payload}" is not supported (application/fhir+json)`, 'Subscription.channel.payload');
  }
  const contentCode = extensionValue(s.channel._payload?.extension, CONTENT, 'valueCode');
  if (contentCode !== undefined && !['empty', 'id-only', 'full-resource'].includes(contentCode as string)) {
    throw badRequest(`Payload content "${contentCode}" is not supported (empty, id-only, full-resource)`, 'Subscription.channel.payload.extension');
  }
  const heartbeat = extensionValue(s.channel.extension as Ext[] | undefined, HEARTBEAT, 'valueUnsignedInt');
  const timeout = extensionValue(s.channel.extension as Ext[] | undefined, TIMEOUT, 'valueUnsignedInt');
  let endpoint: string | undefined;
  if (channelType === 'rest-hook') {
    if (!s.channel.endpoint) throw badRequest('A rest-hook Subscription needs channel.endpoint', 'Subscription.channel.endpoint');
    endpoint = checkEndpoint(s.channel.endpoint, options.allowPrivateEndpoints);
  }
  const headers = (s.channel.header ?? []).map((h, i): [string, string] => {
    const at = h.indexOf(':');
    const name = at > 0 ? h.slice(0, at).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw badRequest(`Header "${h}" is not "Name: value"`, `Subscription.channel.header[${i}]`);
    return [name, h.slice(at + 1).trim()];
  });
  const common = {
    id: s.id!,
    status: s.status,
    channel: channelType,
    endpoint,
    headers,
    payload,
    heartbeatSeconds: typeof heartbeat === 'number' ? heartbeat : 0,
    timeoutSeconds: typeof timeout === 'number' && timeout > 0 ? Math.min(timeout, 60) : 10,
    end: s.end,
    error: s.error,
  } as const;
  if (!backport) {
    const { resourceType, criteria } = searchCriteria(s.criteria ?? '', options.baseUrl, 'Subscription.criteria');
    return { ...common, resourceType, criteria, content: payload ? 'full-resource' : 'empty' };
  }
  const topic = topicByUrl(s.criteria ?? '');
  if (!topic) throw badRequest(`Subscription topic "${s.criteria}" is not one this server offers (see CapabilityStatement)`, 'Subscription.criteria');
  const criteria = topic.query ? parseCriteria(topic.resource, new URLSearchParams(topic.query), options.baseUrl) : [];
  const filters = (s._criteria?.extension ?? []).filter((e) => e.url === FILTER);
  filters.forEach((f, i) => {
    const where = `Subscription.criteria.extension[${i}]`;
    const parsed = searchCriteria(f.valueString ?? '', options.baseUrl, where, topic.resource);
    if (parsed.resourceType !== topic.resource) throw badRequest(`Filter "${f.valueString}" is not on ${topic.resource}, the topic's resource`, where);
    for (const name of new URLSearchParams(f.valueString!.replace(/^[A-Za-z]+\?/, '')).keys()) {
      if (!topic.filters.includes(name.split(':')[0])) {
        throw badRequest(`Topic ${topic.url} cannot be filtered by "${name}" (it can by ${topic.filters.join(', ')})`, where);
      }
    }
    criteria.push(...parsed.criteria);
  });
  return { ...common, resourceType: topic.resource, criteria, topic, content: (contentCode as PayloadContent | undefined) ?? (payload ? 'id-only' : 'empty') };
}

/** "Type?params" (or, for a topic filter, "params" alone) as search criteria, strictly parsed. */
function searchCriteria(text: string, baseUrl: string, where: string, defaultType?: string): { resourceType: string; criteria: Criterion[] } {
  const at = text.indexOf('?');
  const resourceType = at < 0 ? (defaultType && text.includes('=') ? defaultType : text) : text.slice(0, at) || defaultType || '';
  const query = at < 0 ? (defaultType && text.includes('=') ? text : '') : text.slice(at + 1);
  if (!isResourceType(resourceType)) throw badRequest(`Subscription criteria "${text}" must start with a resource type ("Observation?code=...")`, where);
  if (!query) return { resourceType, criteria: [] };
  try {
    const criteria = parseCriteria(resourceType, new URLSearchParams(query), baseUrl);
    // matched by the dispatcher's SQL, which has no terminology service (README: Criteria)
    if (needsTerminology(criteria)) throw badRequest('the terminology modifiers :in, :not-in, :below and :above are not supported in Subscription criteria');
    return { resourceType, criteria };
  } catch (err) {
    throw badRequest(`Subscription criteria "${text}": ${(err as Error).message}`, where);
  }
}

function extensionValue(extensions: Ext[] | undefined, url: string, key: string): unknown {
  return extensions?.find((e) => e.url === url)?.[key];
}
