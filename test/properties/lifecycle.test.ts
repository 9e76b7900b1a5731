import { test } from '@fast-check/vitest';
import { beforeAll } from 'vitest';
import { lifecycleArbitraries, runs, timeoutFor } from './arbitraries.js';
import { lifecycleProperty } from './lifecycleProperty.js';
import { hideStoppedActorWarnings } from './world.js';

beforeAll(hideStoppedActorWarnings);

test.prop(lifecycleArbitraries(), runs(1000))(
  'the worker keeps the invariants of lifecycle.md and behaves like the reference model',
  lifecycleProperty,
  timeoutFor(1000)
);
