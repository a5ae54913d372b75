// The population as ndjson per type: the Bundles' urn:uuid fullUrls become the resources' ids and
// conditional references to the practice become Type/id, so the files stand alone.
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';

export function writeNdjson(practice: Bundle, patients: Iterable<Bundle>, out: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const files = new Map<string, number>();
  const byIdentifier = new Map<string, string>(); // "Type?identifier=system|value" -> "Type/id"
  const write = (resource: Resource) => {
    let fd = files.get(resource.resourceType);
    if (fd === undefined) {
      fd = fs.openSync(path.join(out, `${resource.resourceType}.ndjson`), 'w');
      files.set(resource.resourceType, fd);
    }
    fs.writeSync(fd, `${JSON.stringify(resource)}\n`);
    counts[resource.resourceType] = (counts[resource.resourceType] ?? 0) + 1;
  };
  const standalone = (bundle: Bundle) => {
    const ids = new Map<string, string>();
    for (const e of bundle.entry ?? []) {
      const r = e.resource!;
      const id = e.fullUrl?.startsWith('urn:uuid:') ? e.fullUrl.slice(9) : r.id!;
      if (e.fullUrl) ids.set(e.fullUrl, `${r.resourceType}/${id}`);
      for (const identifier of (r as { identifier?: { system?: string; value?: string }[] }).identifier ?? []) {
        byIdentifier.set(`${r.resourceType}?identifier=${identifier.system}|${identifier.value}`, `${r.resourceType}/${id}`);
      }
    }
    for (const e of bundle.entry ?? []) {
      const id = e.fullUrl?.startsWith('urn:uuid:') ? e.fullUrl.slice(9) : e.resource!.id;
      const text = JSON.stringify({ ...e.resource, id }, (key, value) =>
        key === 'reference' && typeof value === 'string' ? (ids.get(value) ?? byIdentifier.get(value) ?? value) : value,
      );
      write(JSON.parse(text));
    }
  };
  try {
    standalone(practice);
    for (const bundle of patients) standalone(bundle);
  } finally {
    for (const fd of files.values()) fs.closeSync(fd);
  }
  return counts;
}
