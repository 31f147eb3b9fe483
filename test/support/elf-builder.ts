/**
 * Builds small hvt-shaped ELF executables for tests: an ELF64 header, program headers, Solo5's
 * ABI1 and MFT1 notes each in its own PT_NOTE, and PT_LOAD segments. Every field can be bent to
 * produce the malformed executables the loader must reject.
 */
import {
  ABI1_NOTE_TYPE, ELF_HEADER_SIZE, ELF_PHDR_SIZE, EM_X86_64, ET_EXEC, MFT1_NOTE_TYPE, MFT_DEV_BLOCK_BASIC,
  MFT_DEV_NET_BASIC, MFT_ENTRY_SIZE, MFT_RESERVED_FIRST, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE,
} from '../../solo5-abi/constants.js';

export interface SegmentSpec {
  type: number;
  flags: number;
  vaddr: bigint;
  data: Buffer;
  memsz?: bigint;
  align?: bigint;
  /** Overrides the computed p_filesz / p_offset. */
  filesz?: bigint;
  offset?: bigint;
}

export interface ElfSpec {
  entry?: bigint;
  segments: SegmentSpec[];
  /** Patches applied to the 64-byte header after it is built: [offset, bytes]. */
  headerPatches?: Array<[number, number[]]>;
}

export function buildElf(spec: ElfSpec): Buffer {
  const phoff = ELF_HEADER_SIZE;
  let dataOffset = phoff + ELF_PHDR_SIZE * spec.segments.length;
  const header = Buffer.alloc(ELF_HEADER_SIZE);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  header.writeUInt16LE(ET_EXEC, 16);
  header.writeUInt16LE(EM_X86_64, 18);
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(spec.entry ?? 0x100000n, 24);
  header.writeBigUInt64LE(BigInt(phoff), 32);
  header.writeUInt16LE(ELF_HEADER_SIZE, 52);
  header.writeUInt16LE(ELF_PHDR_SIZE, 54);
  header.writeUInt16LE(spec.segments.length, 56);
  for (const [offset, bytes] of spec.headerPatches ?? []) header.set(bytes, offset);
  const phdrs = Buffer.alloc(ELF_PHDR_SIZE * spec.segments.length);
  const bodies: Buffer[] = [];
  spec.segments.forEach((s, i) => {
    const o = i * ELF_PHDR_SIZE;
    phdrs.writeUInt32LE(s.type, o);
    phdrs.writeUInt32LE(s.flags, o + 4);
    phdrs.writeBigUInt64LE(s.offset ?? BigInt(dataOffset), o + 8);
    phdrs.writeBigUInt64LE(s.vaddr, o + 16);
    phdrs.writeBigUInt64LE(s.vaddr, o + 24);
    phdrs.writeBigUInt64LE(s.filesz ?? BigInt(s.data.length), o + 32);
    phdrs.writeBigUInt64LE(s.memsz ?? BigInt(s.data.length), o + 40);
    phdrs.writeBigUInt64LE(s.align ?? (s.type === PT_LOAD ? 0x1000n : 8n), o + 48);
    bodies.push(s.data);
    dataOffset += s.data.length;
  });
  return Buffer.concat([header, phdrs, ...bodies]);
}

/** A note with name "Solo5" whose descriptor starts `padding` bytes after the 20-byte prefix. */
export function solo5Note(type: number, desc: Buffer, options: { descsz?: number; namesz?: number; name?: string } = {}): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt32LE(options.namesz ?? 6, 0);
  head.writeUInt32LE(options.descsz ?? desc.length, 4);
  head.writeUInt32LE(type, 8);
  head.write(options.name ?? 'Solo5\0\0\0', 12, 'latin1');
  return Buffer.concat([head, desc]);
}

export function abiDesc(target = 1, version = 2): Buffer {
  const d = Buffer.alloc(16);
  d.writeUInt32LE(target, 0);
  d.writeUInt32LE(version, 4);
  return d;
}

export interface DeviceSpec {
  name: string;
  type: 'BLOCK_BASIC' | 'NET_BASIC' | number;
}

/** `struct mft` for these devices (entry 0 reserved), without the note's 4 padding bytes. */
export function manifestBytes(devices: DeviceSpec[]): Buffer {
  const entries = devices.length + 1;
  const m = Buffer.alloc(8 + MFT_ENTRY_SIZE * entries);
  m.writeUInt32LE(1, 0);
  m.writeUInt32LE(entries, 4);
  m.writeUInt32LE(MFT_RESERVED_FIRST, 8 + 68);
  devices.forEach((d, i) => {
    const o = 8 + MFT_ENTRY_SIZE * (i + 1);
    m.write(d.name, o, 'latin1');
    const type = d.type === 'BLOCK_BASIC' ? MFT_DEV_BLOCK_BASIC : d.type === 'NET_BASIC' ? MFT_DEV_NET_BASIC : d.type;
    m.writeUInt32LE(type, o + 68);
  });
  return m;
}

/** MFT1 descriptor: 4 alignment bytes, then the manifest. */
export function manifestDesc(manifest: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(4), manifest]);
}

export interface KernelSpec {
  code?: Buffer;
  /** Contents of the RW data page at 0x101000. */
  data?: Buffer;
  devices?: DeviceSpec[];
  abi?: Buffer | null;
  mft?: Buffer | null;
  entry?: bigint;
  /** Changes to the segment list before the ELF is built. */
  edit?: (segments: SegmentSpec[]) => void;
  headerPatches?: Array<[number, number[]]>;
}

export const TEXT_BASE = 0x100000n;
export const DATA_BASE = 0x101000n;

/** Code that halts with status 0 via the HALT hypercall, reading its struct at DATA_BASE. */
export const HALT_CODE = Buffer.from([0xb8, 0x00, 0x10, 0x10, 0x00, 0x66, 0xba, 0x08, 0x05, 0xef, 0xeb, 0xfe]);

/**
 * A minimal hvt kernel: text (R+X) at 0x100000, data (RW) at 0x101000, the ABI1 and MFT1 notes
 * and an empty BSS-like PT_LOAD at vaddr 0 that the loader must skip.
 */
export function buildKernel(spec: KernelSpec = {}): Buffer {
  const segments: SegmentSpec[] = [
    { type: PT_LOAD, flags: PF_R | PF_X, vaddr: TEXT_BASE, data: spec.code ?? HALT_CODE },
    { type: PT_LOAD, flags: PF_R | PF_W, vaddr: DATA_BASE, data: spec.data ?? Buffer.alloc(16) },
    { type: PT_LOAD, flags: PF_R, vaddr: 0n, data: Buffer.alloc(0) },
  ];
  if (spec.abi !== null) segments.push({ type: PT_NOTE, flags: PF_R, vaddr: 0x102000n, data: spec.abi ?? solo5Note(ABI1_NOTE_TYPE, abiDesc()) });
  if (spec.mft !== null) {
    segments.push({
      type: PT_NOTE, flags: PF_R, vaddr: 0x102100n,
      data: spec.mft ?? solo5Note(MFT1_NOTE_TYPE, manifestDesc(manifestBytes(spec.devices ?? []))),
    });
  }
  spec.edit?.(segments);
  return buildElf({ entry: spec.entry ?? TEXT_BASE, segments, headerPatches: spec.headerPatches });
}
