import { createHmac } from 'node:crypto';

/**
 * An instance's password: HMAC-SHA-256 of its name under `secret`, 160 bits in base64url. Only
 * who holds the secret can make it, it never needs storing, and no two instance names share
 * one, so an old instance's password never lets in a newer instance of the same worker.
 */
export function derivePassword(secret: Uint8Array, instanceName: string): string {
  return createHmac('sha256', secret)
    .update(instanceName)
    .digest()
    .subarray(0, 20)
    .toString('base64url');
}
