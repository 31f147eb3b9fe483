/**
 * How the run loop hands control to a debugger (the gdb stub implements this). The run loop owns
 * execution; the agent decides when it resumes.
 */
import type { StopReason } from '../cpu/interface.js';

export type Resume = 'resume' | 'kill';

export interface DebugAgent {
  /**
   * Called once, after the boot state is set and before the guest's first instruction. Resolves
   * when the debugger lets the guest run (continue, step, or detach).
   */
  attach(): Promise<Resume>;
  /**
   * The CPU stopped for a debug reason (Breakpoint, SingleStep, Watchpoint, Exception), or with
   * Requested after the agent asked for an interrupt. Resolves when the debugger resumes; the agent
   * has set cpu.singleStep as it wants before resolving.
   */
  onStop(reason: StopReason): Promise<Resume>;
  /** True once if the last Requested stop was asked for by the agent (Ctrl-C from gdb). */
  takeInterrupt(): boolean;
  /** The guest exited with this status (gdb gets a W packet). */
  onExit(status: number): Promise<void>;
}

/** What a debug agent may ask of the machine while the guest runs or sleeps in POLL. */
export interface DebugControl {
  /** Stop the guest as soon as possible (between instructions, or by waking a POLL sleep). */
  interrupt(): void;
}
