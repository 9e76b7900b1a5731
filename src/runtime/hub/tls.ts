import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { HubTlsOptions } from './hubOptions.js';
import { unbracket } from '../../protocol.js';

/** What the hub serves `wss://` with, and the fingerprint agents pin it by. */
export interface ServedCertificate {
  context: SecureContext;
  /** SHA-256 of the certificate, `AB:CD:...` as `X509Certificate.fingerprint256` has it. */
  fingerprint: string;
}

/** A self-signed certificate is valid for these besides the names it is given. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The certificate of `tls`: the given key and certificate, or one generated for `advertisedHost`
 * (and the configured host names and loopback). `selfsigned` is loaded only here, so that a hub
 * without it, and the package root, do not pay for it.
 */
export async function servedCertificate(
  tls: HubTlsOptions,
  advertisedHost: string
): Promise<ServedCertificate> {
  let key: string | Buffer;
  let cert: string | Buffer;
  if ('selfSigned' in tls) {
    const names = [...(tls.hostnames ?? []), unbracket(advertisedHost), ...LOOPBACK_NAMES];
    ({ private: key, cert } = await generate([...new Set(names)]));
  } else {
    ({ key, cert } = tls);
  }
  try {
    return {
      context: createSecureContext({ key, cert }),
      fingerprint: new X509Certificate(cert).fingerprint256
    };
  } catch (error) {
    throw new TypeError(`createAgentHub: tls.key and tls.cert: ${(error as Error).message}`, {
      cause: error
    });
  }
}

async function generate(names: string[]): Promise<{ private: string; cert: string }> {
  const { generate } = await import('selfsigned');
  // Valid for a year (the default): the hub makes a new one at each start.
  return generate([{ name: 'commonName', value: names[0]! }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) =>
          isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }
        )
      }
    ]
  });
}
