/**
 * The machine state an hvt guest finds at its first instruction (§2.2–§2.5): long mode with
 * identity-mapped paging, the boot GDT, and the registers Solo5's tender sets. The guest's boot
 * info is written separately (solo5-abi/boot-info.ts).
 */
import { Seg, type Processor, type SegmentState } from '../cpu/interface.js';
import type { GuestMemory } from '../cpu/memory.js';
import {
  GDT_DESC_CODE, GDT_DESC_DATA, GDT_SEL_CODE, GDT_SEL_DATA, MSR_EFER, X86_BOOT_INFO_BASE, X86_CR0_INIT,
  X86_CR4_INIT, X86_EFER_INIT, X86_GDT_BASE, X86_GUEST_PAGE_SIZE, X86_PDE_BASE, X86_PDE_PAGES,
  X86_PDPTE_BASE, X86_PML4_BASE, X86_PT0E_BASE, X86_RFLAGS_INIT, HVT_GUEST_MIN_BASE,
} from '../solo5-abi/constants.js';

const PTE_P = 1n;
const PTE_RW = 2n;
const PTE_PS = 0x80n;
const GPR_RSP = 4;
const GPR_RDI = 7;
const FXSAVE_FCW = 0;
const FXSAVE_MXCSR = 24;
const FXSAVE_MXCSR_MASK = 28;

/** Segment attributes (descriptor bytes 5..6) of the boot GDT's code and data entries. */
export const CODE_SEGMENT: SegmentState = { selector: GDT_SEL_CODE, base: 0n, limit: 0xffffffff, attributes: 0xa099 };
export const DATA_SEGMENT: SegmentState = { selector: GDT_SEL_DATA, base: 0n, limit: 0xffffffff, attributes: 0xc093 };

function put64(memory: GuestMemory, gpa: number, value: bigint): void {
  memory.view.setBigUint64(gpa, value, true);
}

/** Boot GDT and 4-level page tables in guest low memory. `allocation` is the whole RAM size. */
export function writeBootTables(memory: GuestMemory, allocation: number): void {
  put64(memory, X86_GDT_BASE, 0n);
  put64(memory, X86_GDT_BASE + 8, GDT_DESC_CODE);
  put64(memory, X86_GDT_BASE + 16, GDT_DESC_DATA);

  put64(memory, X86_PML4_BASE, BigInt(X86_PDPTE_BASE) | PTE_P | PTE_RW);
  for (let i = 0; i < X86_PDE_PAGES; i++) {
    put64(memory, X86_PDPTE_BASE + 8 * i, BigInt(X86_PDE_BASE + 0x1000 * i) | PTE_P | PTE_RW);
  }
  // The first 2 MiB through PT0: nothing below the boot info, boot info read-only, kernel RW.
  put64(memory, X86_PDE_BASE, BigInt(X86_PT0E_BASE) | PTE_P | PTE_RW);
  for (let page = X86_BOOT_INFO_BASE >> 12; page < 512; page++) {
    const flags = page < HVT_GUEST_MIN_BASE >> 12 ? PTE_P : PTE_P | PTE_RW;
    put64(memory, X86_PT0E_BASE + 8 * page, BigInt(page * 0x1000) | flags);
  }
  // Everything else as 2 MiB pages; the PD pages are contiguous, so one index covers all four.
  for (let p = X86_GUEST_PAGE_SIZE; p < allocation; p += X86_GUEST_PAGE_SIZE) {
    put64(memory, X86_PDE_BASE + 8 * (p / X86_GUEST_PAGE_SIZE), BigInt(p) | PTE_P | PTE_RW | PTE_PS);
  }
  memory.written(0, X86_PT0E_BASE + 0x1000);
}

/** Registers at entry: long mode, flat segments, RIP = entry, RSP below the top, RDI = boot info. */
export function setBootRegisters(cpu: Processor, entry: number, memSize: number): void {
  cpu.setMsr(MSR_EFER, X86_EFER_INIT);
  cpu.setControl(4, X86_CR4_INIT);
  cpu.setControl(3, BigInt(X86_PML4_BASE));
  cpu.setControl(0, X86_CR0_INIT);
  cpu.setGdtr({ base: BigInt(X86_GDT_BASE), limit: 0x17 });
  cpu.setIdtr({ base: 0n, limit: 0 });
  cpu.setSegment(Seg.CS, CODE_SEGMENT);
  for (const seg of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) cpu.setSegment(seg, DATA_SEGMENT);
  cpu.setTr({ selector: 0, base: 0n, limit: 0, attributes: 0x8b });
  for (let r = 0; r < 16; r++) cpu.setGpr(r, 0n);
  cpu.setGpr(GPR_RSP, BigInt(memSize - 8));
  cpu.setGpr(GPR_RDI, BigInt(X86_BOOT_INFO_BASE));
  cpu.setRflags(X86_RFLAGS_INIT);
  cpu.setRip(BigInt(entry));
  const fx = new Uint8Array(512);
  const fxView = new DataView(fx.buffer);
  fxView.setUint16(FXSAVE_FCW, 0x037f, true);
  fxView.setUint32(FXSAVE_MXCSR, 0x1f80, true);
  fxView.setUint32(FXSAVE_MXCSR_MASK, 0xffff, true);
  cpu.setFxsave(fx);
}
