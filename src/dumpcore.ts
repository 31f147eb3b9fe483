/**
 * An ELF core of the guest when it aborts (§7): one PT_NOTE with an NT_PRSTATUS register set and
 * one PT_LOAD covering all guest memory at file offset 0x214 + GPA. Only non-zero 4 KiB pages are
 * written, positionally, so the file stays sparse. `gdb KERNEL CORE` reads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Seg, type Processor } from '../cpu/interface.js';
import {
  ELF_HEADER_SIZE, ELF_PHDR_SIZE, ELFCLASS64, ELFDATA2LSB, ELFOSABI_STANDALONE, EM_X86_64, ET_CORE,
  EV_CURRENT, NT_PRSTATUS, PT_LOAD, PT_NOTE, TRAP_FRAME_CS, TRAP_FRAME_RFLAGS, TRAP_FRAME_RIP,
  TRAP_FRAME_RSP, TRAP_FRAME_SS,
} from '../solo5-abi/constants.js';
import { TenderError } from '../solo5-abi/errors.js';
import { strerror } from './strerror.js';

const NOTE_OFFSET = ELF_HEADER_SIZE + 2 * ELF_PHDR_SIZE; // 0xB0
const PRSTATUS_SIZE = 336;
const PRSTATUS_REGS = 112;
const NOTE_SIZE = 12 + 8 + PRSTATUS_SIZE; // 0x164
const MEMORY_OFFSET = NOTE_OFFSET + NOTE_SIZE; // 0x214
const PAGE = 4096;
const MSR_FS_BASE = 0xc0000100;
const MSR_GS_BASE = 0xc0000101;

/** Set-up check of the target directory (Solo5 does it before the guest runs). */
export function checkDumpcoreDir(dir: string): void {
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new TenderError('dumpcore: cannot open dir');
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new TenderError('dumpcore: dir not writable');
  }
}

/** user_regs_struct order: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs */
function registerSet(cpu: Processor, cookieGpa: number): bigint[] {
  const g = (i: number) => cpu.getGpr(i);
  const sel = (s: number) => BigInt(cpu.getSegment(s).selector);
  let rip = cpu.getRip();
  let cs = sel(Seg.CS);
  let rflags = BigInt(cpu.getRflags());
  let rsp = g(4);
  let ss = sel(Seg.SS);
  if (cookieGpa !== 0) {
    // The bindings passed their trap frame: report the faulting context, not the HALT site.
    const v = cpu.memory.view;
    rip = v.getBigUint64(cookieGpa + TRAP_FRAME_RIP, true);
    cs = v.getBigUint64(cookieGpa + TRAP_FRAME_CS, true);
    rflags = v.getBigUint64(cookieGpa + TRAP_FRAME_RFLAGS, true);
    rsp = v.getBigUint64(cookieGpa + TRAP_FRAME_RSP, true);
    ss = v.getBigUint64(cookieGpa + TRAP_FRAME_SS, true);
  }
  return [
    g(15), g(14), g(13), g(12), g(5), g(3), g(11), g(10), g(9), g(8), g(0), g(1), g(2), g(6), g(7),
    0n, rip, cs, rflags, rsp, ss,
    cpu.getMsr(MSR_FS_BASE) ?? cpu.getSegment(Seg.FS).base, cpu.getMsr(MSR_GS_BASE) ?? cpu.getSegment(Seg.GS).base,
    sel(Seg.DS), sel(Seg.ES), sel(Seg.FS), sel(Seg.GS),
  ];
}

function headers(memSize: number, regs: bigint[]): Buffer {
  const b = Buffer.alloc(MEMORY_OFFSET);
  b.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_STANDALONE], 0);
  b.writeUInt16LE(ET_CORE, 16);
  b.writeUInt16LE(EM_X86_64, 18);
  b.writeUInt32LE(EV_CURRENT, 20);
  b.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  b.writeUInt16LE(ELF_HEADER_SIZE, 52);
  b.writeUInt16LE(ELF_PHDR_SIZE, 54);
  b.writeUInt16LE(2, 56);
  let p = ELF_HEADER_SIZE;
  b.writeUInt32LE(PT_NOTE, p);
  b.writeBigUInt64LE(BigInt(NOTE_OFFSET), p + 8);
  b.writeBigUInt64LE(BigInt(NOTE_SIZE), p + 32);
  p += ELF_PHDR_SIZE;
  b.writeUInt32LE(PT_LOAD, p);
  b.writeBigUInt64LE(BigInt(MEMORY_OFFSET), p + 8);
  b.writeBigUInt64LE(BigInt(memSize), p + 32);
  b.writeBigUInt64LE(BigInt(memSize), p + 40);
  let n = NOTE_OFFSET;
  b.writeUInt32LE(8, n);
  b.writeUInt32LE(PRSTATUS_SIZE, n + 4);
  b.writeUInt32LE(NT_PRSTATUS, n + 8);
  b.write('CORE', n + 12, 'latin1');
  n += 20;
  b.writeUInt32LE(process.pid, n + 32); // pr_pid
  regs.forEach((value, i) => b.writeBigUInt64LE(BigInt.asUintN(64, value), n + PRSTATUS_REGS + 8 * i));
  return b;
}

function pageIsZero(words: Int32Array, first: number): boolean {
  for (let i = first; i < first + PAGE / 4; i++) if (words[i] !== 0) return false;
  return true;
}

/** Writes the core; messages go to `log`. Returns normally even when the dump is incomplete. */
export function dumpCore(cpu: Processor, memSize: number, dir: string, cookieGpa: number, log: (line: string) => void): void {
  const file = path.join(dir, `core.solo5-hvt.${process.pid}`);
  log(`dumpcore: dumping guest core to: ${file}`);
  let fd = -1;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    fs.writeSync(fd, headers(memSize, registerSet(cpu, cookieGpa)), 0, MEMORY_OFFSET, 0);
    fs.ftruncateSync(fd, MEMORY_OFFSET + memSize);
    const u8 = cpu.memory.u8;
    const words = new Int32Array(cpu.memory.buffer, 0, memSize / 4);
    let written = 0;
    for (let gpa = 0; gpa < memSize; gpa += PAGE) {
      if (pageIsZero(words, gpa / 4)) continue;
      fs.writeSync(fd, u8, gpa, PAGE, MEMORY_OFFSET + gpa);
      written++;
    }
    log(`dumpcore: dumped ${written} pages of total ${memSize / PAGE} pages`);
  } catch (e) {
    log(`dumpcore: error(s) dumping core, file may be incomplete (${strerror(e)})`);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}
