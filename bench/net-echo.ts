// Capacity probe for the tap path: a TypeScript echo responder on a real tap, driven by a flood ping.
// Run as root: `npx vite-node bench/net-echo.ts [count]` (or build and run dist/bench/net-echo.js).
// Prints round trips per second; it is a measurement, not a pass/fail check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomMac } from '../devices/mac.js';
import { TapDevice } from '../devices/tap.js';
import { EchoResponder } from '../test/support/echo-responder.js';
import { createTap } from '../test/support/tap-fixture.js';

const TAP_NAME = 'tnet9';
const GUEST_IP = '10.77.9.2';

export interface FloodResult {
  transmitted: number;
  received: number;
  seconds: number;
}

/** `ping -f -q -c count ip`, timed from outside; returns its packet counts. */
export async function floodPing(ip: string, count: number, deadlineSeconds = 60): Promise<FloodResult> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)('ping', ['-f', '-q', '-c', String(count), '-w', String(deadlineSeconds), ip]);
  const seconds = (performance.now() - started) / 1000;
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (counts === null) throw new Error(`unexpected ping output: ${stdout}`);
  return { transmitted: Number(counts[1]), received: Number(counts[2]), seconds };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20000);
  const fixture = createTap(TAP_NAME, { address: '10.77.9.1/24' });
  const tap = TapDevice.open(TAP_NAME);
  const responder = new EchoResponder(tap, Uint8Array.of(10, 77, 9, 2), randomMac());
  try {
    await floodPing(GUEST_IP, 10); // ARP and warm-up
    const result = await floodPing(GUEST_IP, count);
    const rate = Math.round(result.received / result.seconds);
    console.log(
      `flood ping: ${result.received}/${result.transmitted} answered in ${result.seconds.toFixed(3)} s = ${rate} round trips/s`,
    );
  } finally {
    await responder.stop();
    tap.close();
    fixture.remove();
  }
}

await main();
