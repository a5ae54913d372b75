// SMART app links on cards (CDS Hooks 2.0 `links`, type "smart"): the CDS client launches the app with
// its own launch context (EHR launch for the patient in view). Meridian's apps live under
// `<origin of BASE_URL>/apps/<id>/`; the router tells the services where (CdsInput.appsUrl), and a
// service called without it (tests calling `run` directly) gives no links.
import type { CdsCard, CdsInput, CdsLink } from '../types.js';

export type MeridianApp = 'chart' | 'prescribing' | 'scheduling';

const LABELS: Record<MeridianApp, string> = {
  chart: 'Open the chart',
  prescribing: 'Open prescribing',
  scheduling: 'Open scheduling',
};

/** A SMART link to one of Meridian's apps, or none when the service does not know where the apps are. */
export function appLink(input: Pick<CdsInput, 'appsUrl'>, app: MeridianApp, label = LABELS[app]): CdsLink[] {
  if (!input.appsUrl) return [];
  return [{ label, url: new URL(`${app}/`, input.appsUrl).href, type: 'smart' }];
}

/** Adds the links to a card (after any it has), skipping a URL it already links to. */
export function withLinks(card: CdsCard, links: CdsLink[]): CdsCard {
  if (!links.length) return card;
  const have = new Set((card.links ?? []).map((l) => l.url));
  const add = links.filter((l) => !have.has(l.url));
  if (add.length) card.links = [...(card.links ?? []), ...add];
  return card;
}
