/**
 * How `--gdb` reaches the gdb remote stub (src/gdb/): loaded only when asked for.
 */
import type { Processor } from '../cpu/interface.js';
import type { DebugAgent, DebugControl } from './debug-agent.js';

export interface GdbAgentOptions {
  host: string;
  port: number;
  kernelPath: string;
}

export type CreateGdbAgent = (cpu: Processor, control: DebugControl, opts: GdbAgentOptions) => DebugAgent;

export async function loadGdbAgentFactory(): Promise<CreateGdbAgent> {
  const { createGdbAgent } = await import('./gdb/index.js');
  return createGdbAgent;
}
