/** Entry point of the gdb remote stub (`--gdb`). */
import type { Processor } from '../../cpu/interface.js';
import type { DebugAgent, DebugControl } from '../debug-agent.js';
import { GdbAgent, type GdbAgentOptions } from './agent.js';

export function createGdbAgent(cpu: Processor, control: DebugControl, opts: GdbAgentOptions): DebugAgent {
  return new GdbAgent(cpu, control, opts);
}
