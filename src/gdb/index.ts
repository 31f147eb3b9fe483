/** Entry point of the gdb remote stub (`--gdb`); src/gdb-hook.ts loads it. */
import type { Processor } from '../../cpu/interface.js';
import type { DebugAgent, DebugControl } from '../debug-agent.js';
import type { GdbAgentOptions } from '../gdb-hook.js';
import { GdbAgent } from './agent.js';

export function createGdbAgent(cpu: Processor, control: DebugControl, opts: GdbAgentOptions): DebugAgent {
  return new GdbAgent(cpu, control, opts);
}
