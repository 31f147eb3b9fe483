// Drives a responder with the system's `ping` (iputils), as the Solo5 net tests do.
import { execFile } from 'node:child_process';

export interface PingResult {
  transmitted: number;
  received: number;
  /** Wall time of the whole ping run. */
  seconds: number;
}

/** Runs `ping ...options -q -c count ip` and returns its packet counts (missing replies are not an error). */
export async function ping(ip: string, count: number, options: string[] = []): Promise<PingResult> {
  const args = [...options, '-q', '-c', String(count), ip];
  const started = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('ping', args, (error, out) => {
      // Exit status 1 means "some replies missing": the counts below tell how many.
      if (error !== null && error.code !== 1) reject(error);
      else resolve(out);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (counts === null) throw new Error(`unexpected ping output: ${stdout}`);
  return { transmitted: Number(counts[1]), received: Number(counts[2]), seconds };
}

/** Flood ping: the next request leaves as soon as a reply arrives (root only); gives up after deadlineSeconds. */
export function floodPing(ip: string, count: number, deadlineSeconds = 60): Promise<PingResult> {
  return ping(ip, count, ['-f', '-w', String(deadlineSeconds)]);
}
