#!/usr/bin/env node
// The worker agent of latent-workers; built by `npm run build` (see src/runtime/hub/agent).
import '../dist/src/runtime/hub/agent/main.js';
