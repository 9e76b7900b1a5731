// A process holding a journal, for process.test.ts: the built package's openJournal on a path,
// the records of argv (JSON) written one after the other, then one line on stdout, printed
// once the last `record()` resolved: `{"ready":true}`, or `{"error":…,"code":…}` if the open
// or a record failed. It then holds the journal until it is killed.
//   node holder.js <package folder> <journal path> <records, as a JSON array>
import process from 'node:process';
import { setInterval } from 'node:timers';

const [pkg, path, records] = process.argv.slice(2);
const { openJournal } = await import(`${pkg}/dist/src/index.js`);
try {
  const journal = await openJournal({ path });
  for (const record of JSON.parse(records)) await journal.record(record);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  // Held until the parent kills this process. The timer keeps the process alive and the
  // journal reachable: a journal the garbage collector takes closes its file, and the lock goes.
  setInterval(() => journal, 1 << 30);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error.message, code: error.code })}\n`);
  process.exitCode = 1;
}
