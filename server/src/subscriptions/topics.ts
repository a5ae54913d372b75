// The subscription topics Meridian publishes (Subscriptions R5 Backport IG: R4 has no SubscriptionTopic
// resource, so topics are canonical URLs the server defines; CapabilityStatement lists them). Each is
// data (topics.json): the resource and interactions that trigger it, a search query the version must
// match (run by the search engine), an optional FHIRPath test of %previous and %current (state
// changes), and the search parameters a subscriber may filter by.
import fs from 'node:fs';

export interface Topic {
  url: string;
  title: string;
  description: string;
  resource: string;
  interactions: ('create' | 'update')[];
  query?: string;
  fhirPath?: string;
  filters: string[];
}

export const TOPICS: Topic[] = JSON.parse(fs.readFileSync(new URL('./topics.json', import.meta.url), 'utf8'));

export function topicByUrl(url: string): Topic | undefined {
  return TOPICS.find((t) => t.url === url);
}
