// Real tap interfaces for tests and benchmarks (needs root). Each caller passes its own name.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

export interface TapFixtureOptions {
  /** Host side address with prefix, e.g. "10.77.0.1/24"; none by default. */
  address?: string;
  mtu?: number;
  /** Bring the link up (default true). */
  up?: boolean;
  /** Keep IPv6 on; by default it is off, so the kernel sends nothing unasked (no router solicitations). */
  ipv6?: boolean;
}

export interface TapFixture {
  readonly name: string;
  remove(): void;
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function removeIfPresent(name: string): void {
  try {
    ip('link', 'del', 'dev', name);
  } catch {
    // Not there: nothing to clean up.
  }
}

/** Creates tap `name` (replacing a leftover from an interrupted run) and returns its remover. */
export function createTap(name: string, options: TapFixtureOptions = {}): TapFixture {
  removeIfPresent(name);
  ip('tuntap', 'add', 'dev', name, 'mode', 'tap');
  try {
    const ipv6Switch = `/proc/sys/net/ipv6/conf/${name}/disable_ipv6`;
    if (!(options.ipv6 ?? false) && existsSync(ipv6Switch)) writeFileSync(ipv6Switch, '1');
    if (options.mtu !== undefined) ip('link', 'set', 'dev', name, 'mtu', String(options.mtu));
    if (options.address !== undefined) ip('addr', 'add', options.address, 'dev', name);
    if (options.up ?? true) ip('link', 'set', 'dev', name, 'up');
  } catch (error) {
    removeIfPresent(name);
    throw error;
  }
  return { name, remove: () => removeIfPresent(name) };
}
