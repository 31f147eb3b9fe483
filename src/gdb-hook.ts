/**
 * How `--gdb` finds the gdb remote stub (src/gdb/, branch `gdb`): its module exports
 * `createGdbAgent` with this signature.
 */
import type { Processor } from '../cpu/interface.js';
import { TenderError } from '../solo5-abi/errors.js';
import type { DebugAgent, DebugControl } from './debug-agent.js';

export interface GdbAgentOptions {
  host: string;
  port: number;
  kernelPath: string;
}

export type CreateGdbAgent = (cpu: Processor, control: DebugControl, opts: GdbAgentOptions) => DebugAgent;

export async function loadGdbAgentFactory(): Promise<CreateGdbAgent> {
  const specifier = './gdb/index.js';
  let mod: { createGdbAgent?: CreateGdbAgent };
  try {
    mod = (await import(specifier)) as { createGdbAgent?: CreateGdbAgent };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    mod = {};
  }
  if (typeof mod.createGdbAgent === 'function') return mod.createGdbAgent;
  throw new TenderError('--gdb is not available: this build has no gdb stub (src/gdb)');
}
