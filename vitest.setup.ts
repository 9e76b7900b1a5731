import fc from 'fast-check';

// One controllable seed and run count for every property: FC_SEED replays a red run,
// FC_NUM_RUNS deepens it (npm run test:deep). `@fast-check/vitest` shares this fast-check
// instance; importing it here instead would cost every test file seconds of start-up.
fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  numRuns: Number(process.env.FC_NUM_RUNS ?? 100),
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {})
});
