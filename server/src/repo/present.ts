import type { Resource } from '@medplum/fhirtypes';

/** JSONB keeps keys in its own order; put resourceType, id and meta first, as FHIR JSON is usually read. */
export function inReadingOrder(resource: Resource): Resource {
  const { resourceType, id, meta, ...rest } = resource;
  return { resourceType, id, meta, ...rest } as Resource;
}
