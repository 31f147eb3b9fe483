/**
 * Runs the guest CPU in slices and gives the Node event loop a turn between them, so timers,
 * signals, tap readiness and the gdb socket are served while the guest computes. Hypercalls that
 * cannot finish inside the OUT instruction (POLL that must wait, HALT, a fatal guest error) stop
 * the CPU and leave a pending action here; the loop carries it out and resumes the guest.
 */
import { StopReason, type Processor } from '../cpu/interface.js';
import { TenderError } from '../solo5-abi/errors.js';
import type { HypercallHost, Hypercalls } from '../solo5-abi/hypercalls.js';
import type { DebugAgent, DebugControl } from './debug-agent.js';
import type { FdWaiter } from './net-backend.js';

/** Instructions per `cpu.run` call, and how long the guest may hold the event loop. */
const SLICE_BUDGET = 100_000;
const SLICE_MS = 20;
const TIMER_MAX_MS = 2 ** 31 - 1;

type Pending =
  | { kind: 'poll'; argGpa: number; timeoutNs: number }
  | { kind: 'halt'; status: number; cookieGpa: number }
  | { kind: 'fatal'; message: string };

export interface RunLoopOptions {
  /** Waits on the net devices' fds during POLL; null without net devices. */
  waiter: FdWaiter | null;
  /** Runs when the guest halts, before the exit (dumpcore). */
  onHalt?: (status: number, cookieGpa: number) => void;
}

export class RunLoop implements HypercallHost, DebugControl {
  private cpu!: Processor;
  private readonly waiter: FdWaiter | null;
  private readonly onHalt: (status: number, cookieGpa: number) => void;
  private hypercalls: Hypercalls | null = null;
  private agent: DebugAgent | null = null;
  private pending: Pending | null = null;
  /** An interrupt asked for between slices, when requestStop would not reach a running CPU. */
  private interruptPending = false;
  private sleeping = false;
  private cancelSleep: (() => void) | null = null;

  constructor(options: RunLoopOptions) {
    this.waiter = options.waiter;
    this.onHalt = options.onHalt ?? (() => {});
  }

  /** The CPU and the hypercall table are created after the loop (the table reports to it). */
  bind(cpu: Processor, hypercalls: Hypercalls): void {
    this.cpu = cpu;
    this.hypercalls = hypercalls;
  }

  setDebugAgent(agent: DebugAgent): void {
    this.agent = agent;
  }

  // ---- HypercallHost ----

  deferPoll(argGpa: number, timeoutNs: number): void {
    this.pending = { kind: 'poll', argGpa, timeoutNs };
    this.cpu.requestStop();
  }

  halt(status: number, cookieGpa: number): void {
    this.pending = { kind: 'halt', status, cookieGpa };
    this.cpu.requestStop();
  }

  fatal(message: string): void {
    // The first fatal error is the one to report.
    if (this.pending?.kind !== 'fatal') this.pending = { kind: 'fatal', message };
    this.cpu.requestStop();
  }

  readableNets(fds: readonly number[]): boolean[] {
    const ready = new Array<boolean>(fds.length).fill(false);
    if (this.waiter === null || fds.length === 0) return ready;
    // The mask is a plain number (exact to 53 bits), so read its bits arithmetically.
    let mask = this.waiter.readableMask(fds);
    for (let i = 0; i < fds.length && mask !== 0; i++) {
      ready[i] = mask % 2 === 1;
      mask = Math.floor(mask / 2);
    }
    return ready;
  }

  // ---- DebugControl ----

  interrupt(): void {
    this.interruptPending = true;
    if (this.sleeping) this.wakeSleep();
    else this.cpu.requestStop();
  }

  /** Runs the guest until it halts; resolves with the process exit status. Throws TenderError. */
  async run(): Promise<number> {
    const cpu = this.cpu;
    if (this.agent !== null && (await this.agent.attach()) === 'kill') return this.killed();
    for (;;) {
      if (this.interruptPending) {
        this.interruptPending = false;
        if (this.agent?.takeInterrupt()) {
          const exit = await this.debugStop(StopReason.Requested);
          if (exit !== null) return exit;
        }
      }
      const sliceEnd = performance.now() + SLICE_MS;
      let reason: StopReason;
      do {
        reason = cpu.run(SLICE_BUDGET);
      } while (reason === StopReason.BudgetExhausted && performance.now() < sliceEnd);
      if (reason === StopReason.BudgetExhausted) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      const exit = await this.handleStop(reason);
      if (exit !== null) return exit;
    }
  }

  /** Carries out a stop; an exit status when the guest is done, else null to continue. */
  private async handleStop(reason: StopReason): Promise<number | null> {
    const cpu = this.cpu;
    const hex = (v: bigint) => `0x${v.toString(16)}`;
    switch (reason) {
      case StopReason.Requested: {
        const pending = this.pending;
        this.pending = null;
        if (pending !== null) {
          const exit = await this.carryOut(pending);
          if (exit !== null) return exit;
        }
        this.interruptPending = false;
        if (this.agent?.takeInterrupt()) return this.debugStop(reason);
        return null;
      }
      case StopReason.HostFault:
        throw new TenderError(`host/guest translation fault: rip=${hex(cpu.stopInfo.rip)}`);
      case StopReason.TripleFault:
        throw new TenderError(`guest triple fault: rip=${hex(cpu.stopInfo.rip)} vector=${cpu.stopInfo.vector}`);
      case StopReason.Halted:
        throw new TenderError(`guest executed HLT and can never wake (no interrupts on hvt): rip=${hex(cpu.getRip())}`);
      case StopReason.Breakpoint:
      case StopReason.SingleStep:
      case StopReason.Watchpoint:
      case StopReason.Exception:
        if (this.agent === null) throw new TenderError(`unexpected debug stop ${reason} at rip=${hex(cpu.getRip())}`);
        return this.debugStop(reason);
      default:
        throw new TenderError(`unexpected CPU stop ${reason}`);
    }
  }

  private async debugStop(reason: StopReason): Promise<number | null> {
    const resume = await this.agent!.onStop(reason);
    return resume === 'kill' ? this.killed() : null;
  }

  private killed(): never {
    throw new TenderError('Debugger asked us to quit');
  }

  private async carryOut(pending: Pending): Promise<number | null> {
    switch (pending.kind) {
      case 'fatal':
        throw new TenderError(pending.message);
      case 'halt':
        this.onHalt(pending.status, pending.cookieGpa);
        if (this.agent !== null) await this.agent.onExit(pending.status & 0xff);
        return pending.status & 0xff;
      case 'poll':
        await this.sleep(pending.timeoutNs);
        this.hypercalls!.completePoll(pending.argGpa);
        return null;
    }
  }

  /** POLL's wait: until a net device is readable, the timeout passes, or we are woken. */
  private async sleep(timeoutNs: number): Promise<void> {
    this.sleeping = true;
    try {
      const fds = this.hypercalls!.pollFds;
      if (this.waiter !== null && fds.length > 0) {
        await this.waiter.wait(fds, timeoutNs);
      } else {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(Math.ceil(timeoutNs / 1e6), TIMER_MAX_MS));
          this.cancelSleep = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.sleeping = false;
      this.cancelSleep = null;
    }
  }

  private wakeSleep(): void {
    if (this.cancelSleep !== null) this.cancelSleep();
    else this.waiter?.wake();
  }
}
