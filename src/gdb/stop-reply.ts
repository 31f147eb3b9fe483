/**
 * Stop replies (`T` packets): the signal that tells gdb why the guest stopped, the stop reason
 * (swbreak, hwbreak, watch/rwatch/awatch), the thread, and a few expedited registers so that gdb
 * can show the frame without another round trip.
 */
import { StopReason, type Processor } from '../../cpu/interface.js';
import type { BreakpointTable } from './breakpoints.js';
import { bytesToHex, hexByte } from './hex.js';
import { REGISTERS, RegisterAccess, readRegister } from './registers.js';

/** Signal numbers as the remote protocol defines them (gdb's own numbering). */
export const GdbSignal = { INT: 2, ILL: 4, TRAP: 5, FPE: 8, KILL: 9, SEGV: 11, TERM: 15 } as const;

/** The signal a guest exception is reported as, like a Unix kernel would deliver it. */
export function signalForVector(vector: number): number {
  switch (vector) {
    case 0: // #DE
    case 16: // #MF
    case 19: // #XM
      return GdbSignal.FPE;
    case 1: // #DB
    case 3: // #BP
      return GdbSignal.TRAP;
    case 6: // #UD
      return GdbSignal.ILL;
    default: // #PF, #GP, #SS, #NP, #AC, #DF and the rest
      return GdbSignal.SEGV;
  }
}

/** The thread id of our single vCPU. */
export const THREAD_ID = 1;

const EXPEDITED = ['rbp', 'rsp', 'rip'].map((name) => REGISTERS.findIndex((r) => r.name === name));

const WATCH_FIELD = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;

function reply(signal: number, reason: string, cpu: Processor): string {
  const access = new RegisterAccess(cpu);
  const regs = EXPEDITED.map((n) => `${hexByte(n)}:${bytesToHex(readRegister(access, REGISTERS[n]))};`).join('');
  return `T${hexByte(signal)}${reason}${regs}thread:${THREAD_ID};`;
}

export function stopReply(reason: StopReason, cpu: Processor, breakpoints: BreakpointTable): string {
  switch (reason) {
    case StopReason.Breakpoint: {
      const kind = breakpoints.kindAt(cpu.getRip());
      // A breakpoint the table no longer knows (removed meanwhile) is still a SIGTRAP.
      const field = kind === 'software' ? 'swbreak:;' : kind === 'hardware' ? 'hwbreak:;' : '';
      return reply(GdbSignal.TRAP, field, cpu);
    }
    case StopReason.Watchpoint: {
      const info = cpu.stopInfo;
      return reply(GdbSignal.TRAP, `${WATCH_FIELD[info.watchKind]}:${info.address.toString(16)};`, cpu);
    }
    case StopReason.Exception:
      return reply(signalForVector(cpu.stopInfo.vector), '', cpu);
    case StopReason.Requested:
      return reply(GdbSignal.INT, '', cpu);
    default:
      return reply(GdbSignal.TRAP, '', cpu);
  }
}

/** The stop reply before the first instruction, as for a freshly started process. */
export function initialStopReply(cpu: Processor): string {
  return reply(GdbSignal.TRAP, '', cpu);
}
