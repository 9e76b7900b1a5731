import { describe, expect, it } from 'vitest';
import { isImageReference } from '../../../src/providers/docker/imageReference.js';

describe('image references', () => {
  it.each([
    'busybox',
    'busybox:1.36',
    'library/busybox:latest',
    'localhost/latent-agent:1',
    'localhost:5000/team/agent:2.0-rc.1',
    'registry.example.com/ci/latent_agent__x:v1',
    'ghcr.io/owner/repo/agent@sha256:' + 'a'.repeat(64),
    'REGISTRY.Example.com/agent:1',
    '[::1]:5000/agent'
  ])('accepts %s', (reference) => expect(isImageReference(reference)).toBe(true));

  it.each([
    '',
    'Not Valid:ref',
    'UPPER/case',
    'Busybox',
    'busybox:',
    'busybox:-tag',
    'busybox::1',
    'a//b',
    '-leading/dash',
    'trailing-/x',
    'busybox@sha256:short',
    'busybox@sha256:' + 'a'.repeat(64) + '@again',
    'image?x=1',
    'x'.repeat(256)
  ])('refuses %j', (reference) => expect(isImageReference(reference)).toBe(false));
});
