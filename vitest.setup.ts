import { fc } from '@fast-check/vitest';

// One controllable seed and run count for every property: FC_SEED replays a red run,
// FC_NUM_RUNS deepens it (npm run test:deep).
fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  numRuns: Number(process.env.FC_NUM_RUNS ?? 100),
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {})
});
