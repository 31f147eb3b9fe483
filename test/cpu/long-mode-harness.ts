/**
 * A small long-mode test machine for CPU tests (reused by the differential tests).
 *
 *   const m = createMachine();                       // 16 MiB, identity-mapped, 64-bit CPL 0
 *   const code = assemble('mov $5, %eax; hlt');       // host `as` + `ld` at CODE_BASE
 *   load(m, CODE_BASE, code);
 *   m.cpu.setGpr(RBX, 7n);
 *   const stop = runUntilStop(m);                     // StopReason (Halted normally)
 *
 * Layout (guest-physical = linear):
 *   0x0000–0x0FFF  not mapped (null-pointer accesses #PF)
 *   0x1000         GDT: 0x08 code64, 0x10 data, 0x18 TSS (16-byte descriptor), 0x2b user code, 0x23 user data
 *   0x2000         PML4, 0x3000 PDPT, 0x4000–0x7FFF PDs (4 GiB), 0x8000 PT for the first 2 MiB
 *   0x9000         TSS (RSP0 = IST1 = 0xC000, IST2 = 0xD000, IST3 = 0xE000: tops of 4 KiB stacks)
 *   0xF000         IDT (256 gates, none present until `setGate`)
 *   0x100000       CODE_BASE: where `assemble` links code by default
 *   0x200000       DATA_BASE: free memory for tests (2 MiB pages from here up)
 *   top - 8        initial RSP
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../../cpu/cpu.js';
import { StopReason, type IoBus } from '../../cpu/interface.js';
import { GuestMemory } from '../../cpu/memory.js';

export const GDT_BASE = 0x1000;
export const PML4 = 0x2000;
export const PDPT = 0x3000;
export const PD = 0x4000;
export const PT0 = 0x8000;
export const TSS_BASE = 0x9000;
export const IST_TOPS = [0xc000, 0xd000, 0xe000];
export const IDT_BASE = 0xf000;
export const CODE_BASE = 0x100000;
export const DATA_BASE = 0x200000;

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

/** Records port output; answers port input from `inputs` (default 0). */
export class RecordingIo implements IoBus {
  readonly out: { port: number; size: number; value: number }[] = [];
  readonly inputs = new Map<number, number>();
  onOut: ((port: number, size: number, value: number) => void) | null = null;

  portOut(port: number, size: 1 | 2 | 4, value: number): void {
    this.out.push({ port, size, value });
    this.onOut?.(port, size, value);
  }

  portIn(port: number, _size: 1 | 2 | 4): number {
    return this.inputs.get(port) ?? 0;
  }
}

export interface Machine {
  mem: GuestMemory;
  cpu: Cpu;
  io: RecordingIo;
}

export interface MachineOptions {
  /** Guest memory size in bytes (multiple of 2 MiB, ≤ 4 GiB); default 16 MiB. */
  memSize?: number;
  /** Fixed clock for RDTSC (ns); default a counter advancing 1 µs per call. */
  nowNs?: () => number;
  tscHz?: number;
  /** The CPU's `jitThreshold` (its default when absent). */
  jitThreshold?: number;
}

/**
 * The CPU's execution tiers, for tests that run the same guest code on each: interpreter only,
 * every block translated on first execution, and the default threshold.
 */
export const CPU_TIERS: readonly { name: string; jitThreshold: number | undefined }[] = [
  { name: 'interpreter', jitThreshold: 0 },
  { name: 'JIT from the first execution', jitThreshold: 1 },
  { name: 'default JIT threshold', jitThreshold: undefined },
];

function put64(mem: GuestMemory, addr: number, lo: number, hi: number): void {
  mem.view.setUint32(addr, lo >>> 0, true);
  mem.view.setUint32(addr + 4, hi >>> 0, true);
}

/** Builds memory, page tables, GDT, TSS and an empty IDT, and a CPU in 64-bit mode at CPL 0. */
export function createMachine(opts: MachineOptions = {}): Machine {
  const size = opts.memSize ?? 16 << 20;
  const mem = new GuestMemory(size);
  const io = new RecordingIo();
  let t = 0;
  const cpu = new Cpu(mem, io, { tscHz: opts.tscHz ?? 1e9, nowNs: opts.nowNs ?? (() => (t += 1000)), jitThreshold: opts.jitThreshold });

  // GDT: null, code64 (0x08), data (0x10), TSS (0x18, 16 bytes), user data (0x28|3), user code (0x30|3).
  put64(mem, GDT_BASE + 0x08, 0x0000ffff, 0x00af9a00);
  put64(mem, GDT_BASE + 0x10, 0x0000ffff, 0x00cf9200);
  put64(mem, GDT_BASE + 0x18, ((TSS_BASE & 0xffff) << 16) | 103, ((TSS_BASE >>> 16) & 0xff) | 0x8900 | (TSS_BASE & 0xff000000));
  put64(mem, GDT_BASE + 0x20, 0, 0);
  put64(mem, GDT_BASE + 0x28, 0x0000ffff, 0x00cff200);
  put64(mem, GDT_BASE + 0x30, 0x0000ffff, 0x00affa00);
  // TSS: RSP0 and IST1..3.
  put64(mem, TSS_BASE + 4, IST_TOPS[0], 0);
  for (let k = 0; k < 3; k++) put64(mem, TSS_BASE + 0x24 + k * 8, IST_TOPS[k], 0);

  // Page tables: identity map (4 page directories, contiguous, as hvt lays them out); the
  // first 2 MiB in 4 KiB pages with page 0 absent.
  put64(mem, PML4, PDPT | 3, 0);
  for (let k = 0; k < 4; k++) put64(mem, PDPT + k * 8, (PD + k * 0x1000) | 3, 0);
  put64(mem, PD, PT0 | 3, 0);
  for (let p = 1; p < 512; p++) put64(mem, PT0 + p * 8, (p << 12) | 3, 0);
  for (let p = 1; p * 0x200000 < size; p++) put64(mem, PD + p * 8, p * 0x200000 + 0x83, 0);

  cpu.setGdtr({ base: BigInt(GDT_BASE), limit: 0x37 });
  cpu.setIdtr({ base: BigInt(IDT_BASE), limit: 256 * 16 - 1 });
  cpu.setTr({ selector: 0x18, base: BigInt(TSS_BASE), limit: 103, attributes: 0x8b });
  cpu.setMsr(0xc0000080, 0x500n);
  cpu.setControl(4, 0x620n);
  cpu.setControl(3, BigInt(PML4));
  cpu.setControl(0, 0x80010021n);
  cpu.setSegment(1, { selector: 0x08, base: 0n, limit: 0xffffffff, attributes: 0xa09b });
  for (const s of [0, 2, 3, 4, 5]) cpu.setSegment(s, { selector: 0x10, base: 0n, limit: 0xffffffff, attributes: 0xc093 });
  cpu.setRflags(0x2);
  cpu.setGpr(RSP, BigInt(size - 8));
  cpu.setRip(BigInt(CODE_BASE));
  return { mem, cpu, io };
}

/**
 * Switches a fresh machine to CPL 3: every present page-table entry gets U=1, CS/SS become the
 * user segments (0x33, 0x2b), CR0.AM is set when `alignmentMask` (so RFLAGS.AC turns on #AC).
 */
export function enterUserMode(m: Machine, alignmentMask = true): void {
  const view = m.mem.view;
  const table = (base: number, entries: number): void => {
    for (let k = 0; k < entries; k++) {
      const e = view.getUint32(base + k * 8, true);
      if (e & 1) view.setUint32(base + k * 8, e | 4, true);
    }
  };
  table(PML4, 1);
  table(PDPT, 4);
  table(PD, 512);
  table(PT0, 512);
  m.cpu.setControl(3, BigInt(PML4));
  if (alignmentMask) m.cpu.setControl(0, m.cpu.getControl(0) | (1n << 18n));
  m.cpu.setSegment(1, { selector: 0x33, base: 0n, limit: 0xffffffff, attributes: 0xa0fb });
  m.cpu.setSegment(2, { selector: 0x2b, base: 0n, limit: 0xffffffff, attributes: 0xc0f3 });
}

/** Copies bytes into guest-physical memory (and tells the CPU, like a device would). */
export function load(m: Machine, addr: number, bytes: Uint8Array): void {
  m.mem.u8.set(bytes, addr);
  m.mem.written(addr, bytes.length);
}

export interface GateOptions {
  /** IST index 0..7 (0: no stack switch). */
  ist?: number;
  /** 0xE interrupt gate (default) or 0xF trap gate. */
  type?: number;
  dpl?: number;
  present?: boolean;
}

/** Writes a 64-bit IDT gate for `vector` pointing at `handler` (code selector 0x08). */
export function setGate(m: Machine, vector: number, handler: number | bigint, o: GateOptions = {}): void {
  const h = BigInt(handler);
  const lo = Number(h & 0xffffn);
  const mid = Number((h >> 16n) & 0xffffn);
  const hi = Number((h >> 32n) & 0xffffffffn);
  const attr = (o.ist ?? 0) | ((o.type ?? 0xe) << 8) | ((o.dpl ?? 0) << 13) | (o.present === false ? 0 : 0x8000);
  const a = IDT_BASE + vector * 16;
  m.mem.view.setUint32(a, (0x08 << 16) | lo, true);
  m.mem.view.setUint32(a + 4, ((mid << 16) | attr) >>> 0, true);
  m.mem.view.setUint32(a + 8, hi, true);
  m.mem.view.setUint32(a + 12, 0, true);
}

/** Runs until something other than an exhausted budget stops the CPU (bounded by `budget`). */
export function runUntilStop(m: Machine, budget = 10_000_000): StopReason {
  return m.cpu.run(budget);
}

const cacheDir = join(tmpdir(), 'tender-cpu-test-cache');

function cached(key: string, build: (dir: string) => Buffer): Uint8Array {
  if (!existsSync(cacheDir)) mkdirSync(cacheDir, { recursive: true });
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 24);
  const out = join(cacheDir, `${hash}.bin`);
  if (existsSync(out)) return new Uint8Array(readFileSync(out));
  const work = join(cacheDir, hash);
  mkdirSync(work, { recursive: true });
  const bin = build(work);
  writeFileSync(out, bin);
  return new Uint8Array(bin);
}

/**
 * Assembles GNU as source (AT&T syntax unless it says `.intel_syntax noprefix`), linked so that
 * its first byte is at `org`. Returns the flat binary of all sections.
 */
export function assemble(source: string, org = CODE_BASE): Uint8Array {
  return cached(`as\n${org}\n${source}`, (dir) => {
    const src = join(dir, 'a.s');
    writeFileSync(src, `.text\n.code64\n${source}\n`);
    execFileSync('as', ['--64', '-o', join(dir, 'a.o'), src]);
    execFileSync('ld', ['-m', 'elf_x86_64', '-N', '--no-warn-rwx-segments', '--build-id=none', `-Ttext=0x${org.toString(16)}`, '-e', '0', '-o', join(dir, 'a.elf'), join(dir, 'a.o')]);
    execFileSync('objcopy', ['-O', 'binary', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    return readFileSync(join(dir, 'a.bin'));
  });
}

/** Entry stub: align the stack as the ABI expects at a call, call main, halt. */
const START_STUB = '.section .note.GNU-stack,"",@progbits\n.text\n.globl _start\n_start:\n  and $-16, %rsp\n  call main\n  hlt\n  jmp _start\n';

export interface CompiledProgram {
  /** Flat image of all loadable sections, starting at the link address. */
  image: Uint8Array;
  /** Address of the `_start` stub (gcc may place main's section before it). */
  entry: number;
}

/**
 * Compiles freestanding C with the host gcc, linked at `org` with a tiny entry stub `_start` that
 * calls `main()` and halts with its return value in RAX. Place `image` at `org` in zeroed memory
 * (the bss beyond the image stays zero) and start at `entry`.
 */
export function compileC(source: string, cflags: string[], org = CODE_BASE): CompiledProgram {
  const bytes = cached(`gcc\n${org}\n${cflags.join(' ')}\n${START_STUB}\n${source}`, (dir) => {
    writeFileSync(join(dir, 'main.c'), source);
    writeFileSync(join(dir, 'start.s'), START_STUB);
    const elf = join(dir, 'prog.elf');
    execFileSync('gcc', [
      ...cflags,
      '-ffreestanding',
      '-fno-pic',
      '-no-pie',
      '-nostdlib',
      '-fno-stack-protector',
      '-fcf-protection=none',
      '-mno-red-zone',
      '-static',
      '-Wl,-N',
      '-Wl,--no-warn-rwx-segments',
      '-Wl,--build-id=none',
      `-Wl,-Ttext=0x${org.toString(16)}`,
      '-Wl,-e,_start',
      '-o',
      elf,
      join(dir, 'start.s'),
      join(dir, 'main.c'),
    ]);
    execFileSync('objcopy', ['-O', 'binary', '--remove-section=.comment', '--remove-section=.note*', elf, join(dir, 'prog.bin')]);
    // Cache format: 8-byte little-endian entry point, then the image.
    const entry = readFileSync(elf).readBigUInt64LE(24);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(entry);
    return Buffer.concat([head, readFileSync(join(dir, 'prog.bin'))]);
  });
  const entry = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return { image: bytes.subarray(8), entry };
}

/** Assembles `source` at CODE_BASE into a fresh machine and runs it until it stops. */
export function runAsm(source: string, setup?: (m: Machine) => void, opts?: MachineOptions): { m: Machine; stop: StopReason } {
  const m = createMachine(opts);
  load(m, CODE_BASE, assemble(source));
  setup?.(m);
  const stop = runUntilStop(m);
  return { m, stop };
}

export function gpr(m: Machine, n: number): bigint {
  return m.cpu.getGpr(n);
}

export { StopReason };
