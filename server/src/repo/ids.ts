// Server-assigned resource ids: UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random
// bits. Ids made together sort together, so a patient's record written in one transaction sits in a
// few neighbouring pages of every id-keyed index, and a search that probes them reads few pages
// (random v4 ids scatter them over the whole index). The cost: an id tells when it was minted,
// which meta.lastUpdated of version 1 tells anyone who may read the resource anyway.
import { randomBytes } from 'node:crypto';

export function newResourceId(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
