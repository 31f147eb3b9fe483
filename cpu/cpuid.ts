/**
 * The CPUID model: one table of what this processor implements, so software sees exactly the
 * features that work. A family file that adds an extension advertises it with one
 * `advertise(...)` call next to its `def(...)` registrations.
 */
import type { Cpu } from './cpu.js';
import { def, I_NONE } from './optable.js';

export const EAX = 0, EBX = 1, ECX = 2, EDX = 3;

export interface CpuidConfig {
  /** 12 ASCII characters. */
  vendor: string;
  /** Up to 48 ASCII characters. */
  brand: string;
  family: number;
  model: number;
  stepping: number;
  /** Physical and linear address widths reported in leaf 0x80000008. */
  physicalBits: number;
  linearBits: number;
}

export const cpuidConfig: CpuidConfig = {
  vendor: 'TenderTender',
  brand: 'Tender emulated x86-64 processor',
  family: 6,
  model: 0x2f,
  stepping: 1,
  physicalBits: 40,
  linearBits: 48,
};

/** Feature bits by leaf: key `${leaf}:${subleaf}` → [eax, ebx, ecx, edx] bit masks. */
const features = new Map<string, number[]>();

/** Sets feature bit `bit` of register `reg` in leaf/subleaf. */
export function advertise(leaf: number, subleaf: number, reg: number, bit: number): void {
  const key = `${leaf >>> 0}:${subleaf}`;
  let regs = features.get(key);
  if (!regs) features.set(key, (regs = [0, 0, 0, 0]));
  regs[reg] |= 1 << bit;
}

function featureWord(leaf: number, subleaf: number, reg: number): number {
  return features.get(`${leaf >>> 0}:${subleaf}`)?.[reg] ?? 0;
}

// The integer core, system and SSE/SSE2 features implemented in this directory.
advertise(1, 0, EDX, 0); // FPU (x87 with exact 80-bit registers)
advertise(1, 0, EDX, 4); // TSC
advertise(1, 0, EDX, 5); // MSR
advertise(1, 0, EDX, 6); // PAE
advertise(1, 0, EDX, 8); // CX8
advertise(1, 0, EDX, 15); // CMOV
advertise(1, 0, EDX, 16); // PAT
advertise(1, 0, EDX, 19); // CLFSH
advertise(1, 0, EDX, 24); // FXSR
advertise(1, 0, EDX, 25); // SSE
advertise(1, 0, EDX, 26); // SSE2
advertise(1, 0, ECX, 13); // CMPXCHG16B
advertise(1, 0, ECX, 22); // MOVBE
advertise(1, 0, ECX, 23); // POPCNT
advertise(1, 0, ECX, 30); // RDRAND
advertise(7, 0, EBX, 9); // ERMS (fast REP MOVSB/STOSB)
advertise(7, 0, EBX, 18); // RDSEED
advertise(0x80000001, 0, ECX, 0); // LAHF/SAHF in 64-bit mode
advertise(0x80000001, 0, ECX, 5); // LZCNT
advertise(0x80000001, 0, ECX, 8); // PREFETCHW
advertise(0x80000001, 0, EDX, 20); // NX
advertise(0x80000001, 0, EDX, 26); // 1 GiB pages
advertise(0x80000001, 0, EDX, 27); // RDTSCP
advertise(0x80000001, 0, EDX, 29); // long mode
advertise(0x80000007, 0, EDX, 8); // invariant TSC

const MAX_BASIC = 7;
const MAX_EXTENDED = 0x80000008;

function ascii4(s: string, k: number): number {
  let v = 0;
  for (let j = 0; j < 4; j++) v |= (s.charCodeAt(k + j) & 0xff) << (8 * j);
  return v | 0;
}

/** Fills out[0..3] with EAX EBX ECX EDX for `leaf`/`subleaf`. */
export function cpuidQuery(leaf: number, subleaf: number, out: Int32Array): void {
  leaf >>>= 0;
  out.fill(0);
  const cfg = cpuidConfig;
  const f = (reg: number): number => featureWord(leaf, leaf === 7 ? subleaf : 0, reg);
  if (leaf === 0) {
    out[0] = MAX_BASIC;
    out[1] = ascii4(cfg.vendor, 0);
    out[3] = ascii4(cfg.vendor, 4);
    out[2] = ascii4(cfg.vendor, 8);
  } else if (leaf === 1) {
    const fam = cfg.family > 15 ? 15 | ((cfg.family - 15) << 12) : cfg.family;
    out[0] = (cfg.stepping & 15) | ((cfg.model & 15) << 4) | ((fam & 15) << 8) | (((cfg.model >> 4) & 15) << 16) | ((fam >> 12) << 20);
    // CLFLUSH line 64 bytes, one logical processor, APIC ID 0.
    out[1] = (8 << 8) | (1 << 16);
    out[2] = f(ECX);
    out[3] = f(EDX);
  } else if (leaf === 7) {
    if (subleaf === 0) {
      out[1] = f(EBX);
      out[2] = f(ECX);
      out[3] = f(EDX);
    }
  } else if (leaf <= MAX_BASIC) {
    // Leaves 2..6 describe caches, monitors and power features: none modelled.
  } else if (leaf === 0x80000000) {
    out[0] = MAX_EXTENDED | 0;
  } else if (leaf === 0x80000001) {
    out[2] = f(ECX);
    out[3] = f(EDX);
  } else if (leaf >= 0x80000002 && leaf <= 0x80000004) {
    const brand = cfg.brand.padEnd(48, '\0');
    const base = (leaf - 0x80000002) * 16;
    for (let r = 0; r < 4; r++) out[r] = ascii4(brand, base + r * 4);
  } else if (leaf === 0x80000007) {
    out[3] = f(EDX);
  } else if (leaf === 0x80000008) {
    out[0] = (cfg.physicalBits & 0xff) | ((cfg.linearBits & 0xff) << 8);
  }
  // Everything else (hypervisor leaves 0x40000000+, unknown leaves) reads as zeros.
}

const result = new Int32Array(4);

function cpuid(c: Cpu): void {
  cpuidQuery(c.r[0], c.r[2], result);
  c.setR32(0, result[0]);
  c.setR32(3, result[1]);
  c.setR32(1, result[2]);
  c.setR32(2, result[3]);
}

def(0x1a2, I_NONE, cpuid);
