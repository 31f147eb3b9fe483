/**
 * Replays cases on our CPU: one machine (test/cpu/long-mode-harness) whose page tables map exactly
 * what the native runner maps for the case — the code page and the data area at the same
 * addresses — so that a stray access faults in our CPU (the generator keeps accesses inside them,
 * since the runner process has other memory mapped).
 */
import { StopReason } from '../../cpu/interface.js';
import { PD, PML4, createMachine, load, type Machine } from '../cpu/long-mode-harness.js';
import { CODE_ENTRY, CODE_PAGE, DATA_BASE, DATA_SIZE, initialData, MMX_FTW, type CaseInput, type CaseOutput } from './case.js';

/** Guest memory must reach the data area; 2 MiB multiples (harness rule). */
const MEMORY_SIZE = DATA_BASE + 0x20_0000;
/** Physical pages for the two page tables we add (inside the harness's free first 2 MiB). */
const PT_CODE = 0x10_000;
const PT_DATA = 0x11_000;
const FXSAVE_MXCSR = 24;
const FXSAVE_XMM0 = 160;
const FXSAVE_FTW = 4;
const FXSAVE_ST0 = 32;
const INT3_FILL = 0xcc;
const BP_VECTOR = 3;

export class EmulatorRunner {
  private readonly machine: Machine;

  /**
   * `translated`: run each case as a translated block (jit/) instead of through the interpreter.
   * The block holds the case's instruction and the INT3 filler after it; the INT3 stops the run
   * (as an intercepted #BP) once the instruction has completed.
   */
  constructor(private readonly translated = false) {
    this.machine = createMachine({ memSize: MEMORY_SIZE, jitThreshold: translated ? 1 : 0 });
    const view = this.machine.mem.view;
    // Unmap every 2 MiB page above the first, then map the code page and the data pages only.
    for (let p = 1; p < 512; p++) view.setBigUint64(PD + p * 8, 0n, true);
    view.setBigUint64(PD + (CODE_PAGE >>> 21) * 8, BigInt(PT_CODE | 3), true);
    view.setBigUint64(PD + (DATA_BASE >>> 21) * 8, BigInt(PT_DATA | 3), true);
    view.setBigUint64(PT_CODE + ((CODE_PAGE >>> 12) & 511) * 8, BigInt(CODE_PAGE | 3), true);
    for (let off = 0; off < DATA_SIZE; off += 4096) {
      view.setBigUint64(PT_DATA + (((DATA_BASE + off) >>> 12) & 511) * 8, BigInt((DATA_BASE + off) | 3), true);
    }
    this.machine.cpu.setControl(3, BigInt(PML4)); // reload CR3: flushes the TLB
    this.machine.cpu.interceptExceptions = true;
  }

  run(input: CaseInput): CaseOutput {
    const { cpu, mem } = this.machine;
    const code = new Uint8Array(4096).fill(INT3_FILL);
    code.set(input.code, CODE_ENTRY - CODE_PAGE);
    load(this.machine, CODE_PAGE, code);
    const before = initialData(input);
    load(this.machine, DATA_BASE, before);

    for (let r = 0; r < 16; r++) cpu.setGpr(r, input.gpr[r]!);
    cpu.setRip(BigInt(CODE_ENTRY));
    cpu.setRflags(input.rflags);
    const fx = cpu.getFxsave();
    const fxView = new DataView(fx.buffer);
    fxView.setUint32(FXSAVE_MXCSR, input.mxcsr, true);
    fx.set(input.xmm, FXSAVE_XMM0);
    // MMX state, as the native runner leaves it: FCW default, TOP 0, all tags valid, MMn with
    // an all-ones exponent.
    fxView.setUint16(0, 0x37f, true);
    fxView.setUint16(2, 0, true);
    fx[FXSAVE_FTW] = MMX_FTW;
    for (let r = 0; r < 8; r++) {
      fx.set(input.mm.subarray(r * 8, r * 8 + 8), FXSAVE_ST0 + 16 * r);
      fxView.setUint16(FXSAVE_ST0 + 16 * r + 8, 0xffff, true);
    }
    cpu.setFxsave(fx);

    const stop = cpu.run(1);
    // Where the case's instruction completed and the INT3 after it stopped a translated block.
    let ripAfter: bigint | null = null;
    if (stop === StopReason.Exception) {
      cpu.discardPendingException();
      const at = cpu.stopInfo.rip;
      if (this.translated && cpu.stopInfo.vector === BP_VECTOR && at !== BigInt(CODE_ENTRY)) ripAfter = at;
      else return { vector: cpu.stopInfo.vector, gpr: [], rip: 0n, rflags: 0, mxcsr: 0, xmm: new Uint8Array(256), memory: [], mm: new Uint8Array(64), ftw: 0 };
    } else if (stop !== StopReason.BudgetExhausted) throw new Error(`CPU stopped with reason ${stop}, not after one instruction`);
    const gpr: bigint[] = [];
    for (let r = 0; r < 16; r++) gpr.push(cpu.getGpr(r));
    const after = cpu.getFxsave();
    const memory: Array<[number, number]> = [];
    const data = mem.u8.subarray(DATA_BASE, DATA_BASE + DATA_SIZE);
    for (let i = 0; i < DATA_SIZE; i++) if (data[i] !== before[i]) memory.push([i, data[i]!]);
    return {
      vector: -1,
      gpr,
      rip: ripAfter ?? cpu.getRip(),
      rflags: cpu.getRflags(),
      mxcsr: new DataView(after.buffer).getUint32(FXSAVE_MXCSR, true),
      xmm: after.slice(FXSAVE_XMM0, FXSAVE_XMM0 + 256),
      memory,
      mm: mmOf(after),
      ftw: after[FXSAVE_FTW]!,
    };
  }
}

/** MM0..7 from an FXSAVE image taken with TOP = 0 (ST(i) is then physical register i). */
function mmOf(fx: Uint8Array): Uint8Array {
  const mm = new Uint8Array(64);
  for (let r = 0; r < 8; r++) mm.set(fx.subarray(FXSAVE_ST0 + 16 * r, FXSAVE_ST0 + 16 * r + 8), r * 8);
  return mm;
}
