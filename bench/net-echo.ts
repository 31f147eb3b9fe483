// Capacity probe for the tap path: a TypeScript echo responder on a real tap, driven by a flood ping.
// Run as root: `npx vite-node bench/net-echo.ts [count]` (or build and run dist/bench/net-echo.js).
// Prints round trips per second; it is a measurement, not a pass/fail check.
import { randomMac } from '../devices/mac.js';
import { TapDevice } from '../devices/tap.js';
import { EchoResponder } from '../test/support/echo-responder.js';
import { floodPing } from '../test/support/flood-ping.js';
import { createTap } from '../test/support/tap-fixture.js';

const TAP_NAME = 'tnet9';
const GUEST_IP = '10.77.9.2';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20000);
  const fixture = createTap(TAP_NAME, { address: '10.77.9.1/24' });
  const tap = TapDevice.open(TAP_NAME);
  const responder = new EchoResponder(tap, Uint8Array.of(10, 77, 9, 2), randomMac());
  try {
    await floodPing(GUEST_IP, 10); // ARP resolution and warm-up
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
