/**
 * ELF64 header and program header parsing with the checks Solo5's hvt loader applies (§1.2).
 * Offsets and addresses are bigint: they come from an untrusted file and may use all 64 bits.
 */
import * as fs from 'node:fs';
import {
  ELF_HEADER_SIZE, ELF_PHDR_SIZE, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_EXEC, EV_CURRENT,
} from './constants.js';
import { TenderError } from './errors.js';
import { strerror } from '../src/strerror.js';

export interface ElfHeader {
  entry: bigint;
  phoff: bigint;
  phnum: number;
}

export interface ProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

/** The kernel file, read with positional reads. `name` is how messages refer to it. */
export class ElfImage {
  private constructor(readonly name: string, private readonly fd: number) {}

  static open(path: string): ElfImage {
    try {
      return new ElfImage(path, fs.openSync(path, 'r'));
    } catch (e) {
      throw new TenderError(`${path}: Could not open: ${strerror(e)}`);
    }
  }

  /** Up to `length` bytes at `position`; shorter at the end of the file. */
  readAt(position: bigint, length: number, what: string): Buffer {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, this.readInto(position, buf, what));
  }

  /** Fills `target` from `position`; returns how many bytes the file had. */
  readInto(position: bigint, target: Uint8Array, what: string): number {
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) return 0;
    let done = 0;
    try {
      while (done < target.length) {
        const n = fs.readSync(this.fd, target, done, Math.min(target.length - done, 1 << 30), Number(position) + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      throw new TenderError(`${this.name}: could not read ${what}: ${strerror(e)}`);
    }
    return done;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Error text Solo5 prefixes for a rejected executable. */
export function invalidExecutable(image: ElfImage, detail: string): TenderError {
  return new TenderError(`${image.name}: invalid executable: ${detail}`);
}

/** Reads and checks the ELF header; `context` names the caller as in Solo5's messages. */
export function readElfHeader(image: ElfImage, context: string): ElfHeader {
  const h = image.readAt(0n, ELF_HEADER_SIZE, `elf header ${context}`);
  if (h.length !== ELF_HEADER_SIZE) {
    throw invalidExecutable(image, `elf header does not match the expected size (${h.length} != ${ELF_HEADER_SIZE})`);
  }
  const valid =
    h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46 &&
    h[4] === ELFCLASS64 &&
    h[5] === ELFDATA2LSB &&
    h.readUInt32LE(20) === EV_CURRENT &&
    h.readUInt16LE(52) === ELF_HEADER_SIZE &&
    h.readUInt16LE(56) >= 1 &&
    h.readUInt16LE(54) === ELF_PHDR_SIZE &&
    h.readUInt16LE(16) === ET_EXEC &&
    h.readUInt16LE(18) === EM_X86_64;
  if (!valid) throw invalidExecutable(image, `invalid or unsupported executable (elf header invalid ${context})`);
  return { entry: h.readBigUInt64LE(24), phoff: h.readBigUInt64LE(32), phnum: h.readUInt16LE(56) };
}

export function readProgramHeaders(image: ElfImage, header: ElfHeader): ProgramHeader[] {
  const size = header.phnum * ELF_PHDR_SIZE;
  const raw = image.readAt(header.phoff, size, 'program headers');
  if (raw.length !== size) {
    throw invalidExecutable(image, `program header does not match the expected size (${raw.length} != ${size})`);
  }
  const result: ProgramHeader[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const o = i * ELF_PHDR_SIZE;
    result.push({
      index: i,
      type: raw.readUInt32LE(o),
      flags: raw.readUInt32LE(o + 4),
      offset: raw.readBigUInt64LE(o + 8),
      vaddr: raw.readBigUInt64LE(o + 16),
      filesz: raw.readBigUInt64LE(o + 32),
      memsz: raw.readBigUInt64LE(o + 40),
      align: raw.readBigUInt64LE(o + 48),
    });
  }
  return result;
}
