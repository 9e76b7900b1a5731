/**
 * `npm start`: real worker processes on this machine. A fleet of process workers takes a
 * queue of builds; instances start on demand, connect back to the agent hub, run commands,
 * one fails to start and is quarantined, and idle instances stop. `npm start -- --help`.
 */
import { runCli } from '../src/cli/main.js';

// Ctrl-C or SIGTERM: shut the fleet down cleanly. A second one falls back to Node's default.
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => interrupt.abort(signal));
}
// A closed stdout (`| head`): nobody reads on, so stop everything, as a SIGPIPE would end a
// program that does not catch it. The writes after it fail without a word.
process.stdout.on('error', () => interrupt.abort('SIGPIPE'));

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal
});
