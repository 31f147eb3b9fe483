/**
 * The run loop with a scripted processor: pending hypercall actions (POLL sleep, HALT, fatal
 * errors), CPU stop reasons and their messages, and the debug agent hand-offs.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../cpu/interface.js';
import { GuestMemory } from '../cpu/memory.js';
import { Console } from '../devices/console.js';
import { Hypercalls } from '../solo5-abi/hypercalls.js';
import { Manifest } from '../solo5-abi/manifest.js';
import type { DebugAgent, Resume } from '../src/debug-agent.js';
import { RunLoop } from '../src/run-loop.js';
import { manifestBytes } from './support/elf-builder.js';
import { FakeProcessor, type ScriptStep } from './support/fake-processor.js';

const MEM = 2 * 1024 * 1024;
const ARG = 0x100000;

function machine(steps: ScriptStep[], halted: Array<[number, number]> = []) {
  const memory = new GuestMemory(MEM);
  const loop = new RunLoop({ waiter: null, onHalt: (s, c) => halted.push([s, c]) });
  const hc = new Hypercalls(memory, MEM, Manifest.parse(manifestBytes([]))!, { console: new Console(), blocks: [null], nets: [null] }, loop);
  const cpu = new FakeProcessor(memory, hc, { tscHz: 1e9 });
  cpu.script.push(...steps);
  loop.bind(cpu, hc);
  return { memory, loop, cpu };
}

const halt = (status: number, cookie = 0): ScriptStep => (cpu) => {
  cpu.memory.view.setBigUint64(ARG, BigInt(cookie), true);
  cpu.memory.view.setInt32(ARG + 8, status, true);
  cpu.io.portOut(0x508, 4, ARG);
  return StopReason.BudgetExhausted;
};
const stop = (reason: StopReason, setup?: (cpu: FakeProcessor) => void): ScriptStep => (cpu) => {
  setup?.(cpu);
  return reason;
};

describe('RunLoop', () => {
  it('returns the HALT status & 0xFF after running the halt hook', async () => {
    const halted: Array<[number, number]> = [];
    const { loop } = machine([stop(StopReason.BudgetExhausted), halt(300, 0x100100)], halted);
    await expect(loop.run()).resolves.toBe(44);
    expect(halted).toEqual([[300, 0x100100]]);
  });

  it('sleeps for a POLL that must wait, then writes its result and resumes', async () => {
    const POLL = 0x100200;
    const seen: bigint[] = [];
    const { loop } = machine([
      (cpu) => {
        const v = cpu.memory.view;
        v.setBigUint64(POLL, 5_000_000n, true);
        v.setBigUint64(POLL + 8, 0xdeadn, true);
        v.setInt32(POLL + 16, -1, true);
        cpu.io.portOut(0x503, 4, POLL);
        return StopReason.BudgetExhausted;
      },
      (cpu) => {
        seen.push(cpu.memory.view.getBigUint64(POLL + 8, true), BigInt(cpu.memory.view.getInt32(POLL + 16, true)));
        return StopReason.BudgetExhausted;
      },
      halt(0),
    ]);
    await expect(loop.run()).resolves.toBe(0);
    expect(seen).toEqual([0n, 0n]);
  });

  it('ends on a fatal guest error with its message', async () => {
    const { loop } = machine([(cpu) => (cpu.io.portOut(0x509, 4, 0), StopReason.BudgetExhausted)]);
    await expect(loop.run()).rejects.toThrow(/^Invalid guest port access: port=0x509$/);
  });

  it('reports host faults, triple faults and HLT as fatal', async () => {
    const rip = (cpu: FakeProcessor) => { cpu.stopInfo.rip = 0x100010n; cpu.stopInfo.vector = 14; cpu.rip = 0x100011n; };
    await expect(machine([stop(StopReason.HostFault, rip)]).loop.run()).rejects.toThrow('host/guest translation fault: rip=0x100010');
    await expect(machine([stop(StopReason.TripleFault, rip)]).loop.run()).rejects.toThrow('guest triple fault: rip=0x100010 vector=14');
    await expect(machine([stop(StopReason.Halted, rip)]).loop.run()).rejects.toThrow(/HLT.*rip=0x100011/);
  });

  it('hands debug stops and the exit to the debug agent', async () => {
    const events: string[] = [];
    let interrupt = false;
    const agent: DebugAgent = {
      attach: async (): Promise<Resume> => (events.push('attach'), 'resume'),
      onStop: async (reason): Promise<Resume> => (events.push(`stop ${reason}`), 'resume'),
      takeInterrupt: () => { const i = interrupt; interrupt = false; return i; },
      onExit: async (status) => { events.push(`exit ${status}`); },
    };
    const { loop } = machine([
      stop(StopReason.Breakpoint),
      stop(StopReason.SingleStep),
      (cpu) => { interrupt = true; loop.interrupt(); return StopReason.BudgetExhausted; },
      halt(-2),
    ]);
    loop.setDebugAgent(agent);
    await expect(loop.run()).resolves.toBe(254);
    expect(events).toEqual(['attach', `stop ${StopReason.Breakpoint}`, `stop ${StopReason.SingleStep}`, `stop ${StopReason.Requested}`, 'exit 254']);
  });
});
