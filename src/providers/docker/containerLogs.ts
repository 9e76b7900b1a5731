import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import type Dockerode from 'dockerode';

/** The last `lines` lines the container wrote, on stdout and stderr. */
export async function lastLogLines(
  docker: Dockerode,
  container: Dockerode.Container,
  lines: number,
  signal: AbortSignal
): Promise<string> {
  const raw = await container.logs({
    stdout: true,
    stderr: true,
    tail: lines,
    follow: false,
    abortSignal: signal
  });
  const source = Readable.from([raw]);
  const text = new PassThrough();
  const chunks: Buffer[] = [];
  text.on('data', (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(source, text, text);
  await once(source, 'end');
  return Buffer.concat(chunks).toString('utf8').trimEnd();
}
