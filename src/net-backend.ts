/**
 * The network side the machine uses: tap devices, MAC helpers and the fd waiter of devices/tap.ts,
 * devices/mac.ts and devices/fd-wait.ts (written on branch `net`). They are loaded on first use,
 * so a tender without network devices never touches them.
 */
import { TenderError } from '../solo5-abi/errors.js';
import type { NetPort } from '../solo5-abi/hypercalls.js';

export interface Tap extends NetPort {
  readonly name: string;
  readonly mtu: number;
  close(): void;
}

export interface FdWaiter {
  /** Bit i set if fds[i] is readable now. */
  readableMask(fds: readonly number[]): number;
  /** Resolves with the readable mask, or 0 on timeout or wake. */
  wait(fds: readonly number[], timeoutNs: number): Promise<number>;
  wake(): void;
  close(): void;
}

export interface NetBackend {
  /** Throws an Error whose message is the strerror text. */
  openTap(ifname: string): Tap;
  parseMac(text: string): Uint8Array | null;
  randomMac(): Uint8Array;
  createWaiter(): FdWaiter;
}

interface TapModule {
  TapDevice: { open(ifname: string): Tap };
}
interface MacModule {
  parseMac(text: string): Uint8Array | null;
  randomMac(): Uint8Array;
}
interface FdWaitModule {
  FdWaiter: new () => FdWaiter;
}

let backend: Promise<NetBackend> | null = null;

export function loadNetBackend(): Promise<NetBackend> {
  backend ??= (async () => {
    // Specifiers in variables: the modules live on another branch until it is merged.
    const dir = '../devices/';
    let tap: TapModule, mac: MacModule, wait: FdWaitModule;
    try {
      tap = (await import(`${dir}tap.js`)) as TapModule;
      mac = (await import(`${dir}mac.js`)) as MacModule;
      wait = (await import(`${dir}fd-wait.js`)) as FdWaitModule;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
      throw new TenderError('network devices are not available: this build has no tap backend (devices/tap.ts)');
    }
    return {
      openTap: (ifname) => tap.TapDevice.open(ifname),
      parseMac: (text) => mac.parseMac(text),
      randomMac: () => mac.randomMac(),
      createWaiter: () => new wait.FdWaiter(),
    };
  })();
  return backend;
}
