/**
 * The network side the machine uses: tap devices, MAC helpers and the fd waiter. They are loaded
 * on first use, so a tender without network devices never loads the native bindings they need.
 */
import type { FdWaiter } from '../devices/fd-wait.js';
import type { TapDevice } from '../devices/tap.js';

export type { FdWaiter } from '../devices/fd-wait.js';
export type Tap = TapDevice;

export interface NetBackend {
  /** Throws TapError, whose message is the strerror text. */
  openTap(ifname: string): Tap;
  parseMac(text: string): Uint8Array | null;
  randomMac(): Uint8Array;
  createWaiter(): FdWaiter;
  /** How many fds one POLL can wait on. */
  maxNets: number;
}

let backend: Promise<NetBackend> | null = null;

export function loadNetBackend(): Promise<NetBackend> {
  backend ??= (async () => {
    const [tap, mac, wait] = await Promise.all([
      import('../devices/tap.js'),
      import('../devices/mac.js'),
      import('../devices/fd-wait.js'),
    ]);
    return {
      openTap: (ifname) => tap.TapDevice.open(ifname),
      parseMac: (text) => mac.parseMac(text),
      randomMac: () => mac.randomMac(),
      createWaiter: () => new wait.FdWaiter(),
      maxNets: wait.MAX_WAIT_FDS,
    };
  })();
  return backend;
}
