/**
 * Loading the PT_LOAD segments of an hvt executable into guest memory with Solo5's checks, in
 * Solo5's order (§1.5). Returns what the boot state needs and the ranges the host must make
 * read-only (its only W^X enforcement).
 */
import type { GuestMemory } from '../cpu/memory.js';
import { HVT_GUEST_MIN_BASE, PF_R, PF_W, PF_X, PT_LOAD } from './constants.js';
import { ElfImage, invalidExecutable, readElfHeader, readProgramHeaders } from './elf.js';
import { TenderError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const PAGE_MASK = 4095n;

export interface LoadedKernel {
  entry: number;
  /** Largest aligned segment end; excludes BSS (a PT_LOAD without file bytes is never loaded). */
  kernelEnd: number;
  /** Page-aligned [start, end) ranges of executable or read-only segments. */
  readOnlyRanges: Array<[number, number]>;
}

export function loadKernel(image: ElfImage, memory: GuestMemory, memSize: number): LoadedKernel {
  const header = readElfHeader(image, 'while loading elf');
  const mem = BigInt(memSize);
  const minBase = BigInt(HVT_GUEST_MIN_BASE);
  if (header.entry < minBase || header.entry >= mem) {
    throw invalidExecutable(image,
      `e_entry does not fall within the memory allocation range (${header.entry} < ${HVT_GUEST_MIN_BASE} || ${header.entry} >= ${memSize})`);
  }
  let previousVaddr = 0n;
  let previousEnd = 0n;
  let kernelEnd = 0n;
  const readOnlyRanges: Array<[number, number]> = [];
  for (const ph of readProgramHeaders(image, header)) {
    if (ph.type !== PT_LOAD || ph.filesz === 0n) continue;
    const i = ph.index;
    const bad = (detail: string) => invalidExecutable(image, `phdr[${i}]${detail}`);
    const { vaddr, filesz, memsz, align } = ph;
    if (vaddr < minBase) throw bad(`.p_vaddr outside of valid memory range (${vaddr} < ${minBase})`);
    if (vaddr < previousVaddr) throw bad(`.p_vaddr is not in ascending order (${vaddr} < ${previousVaddr})`);
    previousVaddr = vaddr;
    if (align === 0n || (align & (align - 1n)) !== 0n) {
      throw bad(`.p_vaddr is outside of memory range (align_down with ${vaddr} (p_vaddr) and ${align} (p_align) failed)`);
    }
    const start = vaddr & ~(align - 1n);
    if (start < minBase) throw bad(`.p_vaddr_start is outside of memory range (${start} < ${minBase} (p_min_loadaddr))`);
    if (start < previousEnd) throw bad(`.p_vaddr_start is outside of memory range (${start} < ${previousEnd} (e_end))`);
    if (vaddr >= mem) throw bad(` program file segment falls outside of valid range (${vaddr} >= ${memSize} (mem_size))`);
    const fileEnd = vaddr + filesz;
    if (fileEnd > U64_MAX || fileEnd > mem) {
      throw bad(` program file segment falls outside of valid range (${vaddr} + ${filesz} > ${memSize} (mem_size))`);
    }
    if (memsz < filesz) throw bad(` program memory segment falls outside of valid range (memsz < filesz)`);
    const end = (vaddr + memsz + align - 1n) & ~(align - 1n);
    if (vaddr + memsz + align - 1n > U64_MAX || end > mem) {
      throw bad(` program memory segment falls outside of valid range (${end} > ${memSize} (mem_size))`);
    }
    const got = image.readInto(ph.offset, memory.u8.subarray(Number(vaddr), Number(fileEnd)), 'segment');
    if (got !== Number(filesz)) {
      throw new TenderError(`${image.name}: phdr[${i}] host file segment mismatched (${got} != ${filesz})`);
    }
    memory.u8.fill(0, Number(fileEnd), Number(vaddr + memsz));
    memory.written(Number(vaddr), Number(memsz));
    if ((start & PAGE_MASK) !== 0n) {
      throw bad(` p_vaddr_start not aligned with architectural page size (${start} & (4095 - 1))`);
    }
    if ((end & PAGE_MASK) !== 0n) {
      throw bad(` p_vaddr_end not aligned with architectural page size (${end} & (4095 - 1))`);
    }
    if ((ph.flags & PF_W) !== 0 && (ph.flags & PF_X) !== 0) throw bad(` requests WRITE and EXEC permissions`);
    const readOnly = (ph.flags & PF_X) !== 0 || (ph.flags & (PF_R | PF_W)) === PF_R;
    if (readOnly) readOnlyRanges.push([Number(start), Number(end)]);
    previousEnd = end;
    if (end > kernelEnd) kernelEnd = end;
  }
  return { entry: Number(header.entry), kernelEnd: Number(kernelEnd), readOnlyRanges };
}
