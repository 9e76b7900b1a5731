import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';

/** `hub.url` as given, or made from the address the hub is bound to. */
export type AdvertisedUrl = string | ((address: { host: string; port: number }) => string);

/** Addresses that bind every interface: none of them names the machine to its agents. */
const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The URL agents dial: `advertised` when given (a function receives the bound address), else
 * the bound host, or this machine's host name for a wildcard bind (as Buildbot advertises its
 * FQDN).
 */
export function advertisedUrl(
  advertised: AdvertisedUrl | undefined,
  address: { host: string; port: number },
  secure: boolean
): string {
  if (typeof advertised === 'string') return advertised;
  if (advertised) return advertised(address);
  const host = WILDCARDS.has(address.host) ? hostname() : address.host;
  return `${secure ? 'wss' : 'ws'}://${isIPv6(host) ? `[${host}]` : host}:${address.port}`;
}

/** `text` as a `ws://` or `wss://` URL, or a `TypeError` naming the option. */
export function parseHubUrl(text: unknown): URL {
  const url = typeof text === 'string' && URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'ws:' && url?.protocol !== 'wss:') {
    throw new TypeError(
      `createAgentHub: advertisedUrl must be a ws:// or wss:// URL, got ${JSON.stringify(text)}`
    );
  }
  return url;
}
