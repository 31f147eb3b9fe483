/**
 * The registers gdb sees, in the order of our target description (that order is the remote
 * register numbering used by `g`, `p` and `P`). Values travel in target byte order (little-endian).
 */
import { Seg, type Processor } from '../../cpu/interface.js';
import { fromLittleEndian, littleEndian } from './hex.js';
import { abridgedTagWord, fullTagWord } from './x87-tags.js';

export type Feature = 'core' | 'sse' | 'segments';

export interface RegisterDef {
  name: string;
  /** Width in bytes. */
  size: number;
  /** Type name in the target description. */
  type: string;
  group?: 'float' | 'vector' | 'system';
  feature: Feature;
  read(state: RegisterAccess): bigint | Uint8Array;
  write(state: RegisterAccess, bytes: Uint8Array): void;
}

/** FXSAVE image offsets (64-bit layout). */
const FX = { FCW: 0, FSW: 2, FTW: 4, FOP: 6, FIP: 8, FDP: 16, MXCSR: 24, ST0: 32, XMM0: 160 } as const;

/**
 * One batch of register reads or writes: the FXSAVE image is fetched at most once and stored back
 * once by `commit`, however many x87/SSE registers the batch touches.
 */
export class RegisterAccess {
  private image: Uint8Array | null = null;
  private imageDirty = false;

  constructor(readonly cpu: Processor) {}

  fx(): Uint8Array {
    this.image ??= this.cpu.getFxsave().slice();
    return this.image;
  }

  fxView(): DataView {
    const image = this.fx();
    return new DataView(image.buffer, image.byteOffset, image.byteLength);
  }

  markFxDirty(): void {
    this.imageDirty = true;
  }

  commit(): void {
    if (this.image && this.imageDirty) this.cpu.setFxsave(this.image);
    this.imageDirty = false;
  }
}

/** gdb's amd64 order of the general registers, as indices in the CPU's encoding order. */
const GPRS: Array<[string, number, string]> = [
  ['rax', 0, 'int64'], ['rbx', 3, 'int64'], ['rcx', 1, 'int64'], ['rdx', 2, 'int64'],
  ['rsi', 6, 'int64'], ['rdi', 7, 'int64'], ['rbp', 5, 'data_ptr'], ['rsp', 4, 'data_ptr'],
  ['r8', 8, 'int64'], ['r9', 9, 'int64'], ['r10', 10, 'int64'], ['r11', 11, 'int64'],
  ['r12', 12, 'int64'], ['r13', 13, 'int64'], ['r14', 14, 'int64'], ['r15', 15, 'int64'],
];

const SELECTORS: Array<[string, number]> = [
  ['cs', Seg.CS], ['ss', Seg.SS], ['ds', Seg.DS], ['es', Seg.ES], ['fs', Seg.FS], ['gs', Seg.GS],
];

function value(bytes: Uint8Array): bigint {
  return fromLittleEndian(bytes);
}

/** A field of the FXSAVE image, zero-extended to `size` bytes for gdb. */
function fxField(name: string, offset: number, width: number, size: number, feature: Feature,
  type: string, group?: RegisterDef['group']): RegisterDef {
  return {
    name, size, type, group, feature,
    read: (s) => {
      const out = new Uint8Array(size);
      out.set(s.fx().subarray(offset, offset + Math.min(width, size)));
      return out;
    },
    write: (s, bytes) => {
      s.fx().set(bytes.subarray(0, width), offset);
      s.markFxDirty();
    },
  };
}

function stackRegisters(s: RegisterAccess): Uint8Array[] {
  const fx = s.fx();
  return Array.from({ length: 8 }, (_, i) => fx.subarray(FX.ST0 + 16 * i, FX.ST0 + 16 * i + 10));
}

function buildRegisters(): RegisterDef[] {
  const regs: RegisterDef[] = [];
  for (const [name, index, type] of GPRS) {
    regs.push({
      name, size: 8, type, feature: 'core',
      read: (s) => s.cpu.getGpr(index),
      write: (s, b) => s.cpu.setGpr(index, value(b)),
    });
  }
  regs.push({
    name: 'rip', size: 8, type: 'code_ptr', feature: 'core',
    read: (s) => s.cpu.getRip(),
    write: (s, b) => s.cpu.setRip(value(b)),
  });
  regs.push({
    name: 'eflags', size: 4, type: 'i386_eflags', feature: 'core',
    read: (s) => BigInt(s.cpu.getRflags() >>> 0),
    write: (s, b) => s.cpu.setRflags(Number(value(b))),
  });
  for (const [name, seg] of SELECTORS) {
    regs.push({
      name, size: 4, type: 'int32', feature: 'core',
      read: (s) => BigInt(s.cpu.getSegment(seg).selector),
      // Only the visible selector changes; the descriptor cache stays as the guest loaded it.
      write: (s, b) => {
        const selector = Number(value(b)) & 0xffff;
        const current = s.cpu.getSegment(seg);
        if (current.selector !== selector) s.cpu.setSegment(seg, { ...current, selector });
      },
    });
  }
  for (let i = 0; i < 8; i++) {
    regs.push(fxField(`st${i}`, FX.ST0 + 16 * i, 10, 10, 'core', 'i387_ext'));
  }
  regs.push(fxField('fctrl', FX.FCW, 2, 4, 'core', 'int', 'float'));
  regs.push(fxField('fstat', FX.FSW, 2, 4, 'core', 'int', 'float'));
  regs.push({
    name: 'ftag', size: 4, type: 'int', group: 'float', feature: 'core',
    read: (s) => {
      const fx = s.fx();
      return BigInt(fullTagWord(fx[FX.FTW], fx[FX.FSW] | (fx[FX.FSW + 1] << 8), stackRegisters(s)));
    },
    write: (s, b) => {
      s.fx()[FX.FTW] = abridgedTagWord(Number(value(b)) & 0xffff);
      s.markFxDirty();
    },
  });
  // The 64-bit FXSAVE layout stores 64-bit instruction and operand pointers; gdb shows each as
  // a "segment" (high half) and an "offset" (low half).
  regs.push(fxField('fiseg', FX.FIP + 4, 4, 4, 'core', 'int', 'float'));
  regs.push(fxField('fioff', FX.FIP, 4, 4, 'core', 'int', 'float'));
  regs.push(fxField('foseg', FX.FDP + 4, 4, 4, 'core', 'int', 'float'));
  regs.push(fxField('fooff', FX.FDP, 4, 4, 'core', 'int', 'float'));
  regs.push({
    name: 'fop', size: 4, type: 'int', group: 'float', feature: 'core',
    read: (s) => BigInt(s.fxView().getUint16(FX.FOP, true) & 0x7ff),
    write: (s, b) => {
      s.fxView().setUint16(FX.FOP, Number(value(b)) & 0x7ff, true);
      s.markFxDirty();
    },
  });
  for (let i = 0; i < 16; i++) {
    regs.push(fxField(`xmm${i}`, FX.XMM0 + 16 * i, 16, 16, 'sse', 'vec128'));
  }
  regs.push(fxField('mxcsr', FX.MXCSR, 4, 4, 'sse', 'i386_mxcsr', 'vector'));
  for (const [name, seg] of [['fs_base', Seg.FS], ['gs_base', Seg.GS]] as const) {
    regs.push({
      name, size: 8, type: 'int', feature: 'segments',
      read: (s) => s.cpu.getSegment(seg).base,
      write: (s, b) => s.cpu.setSegment(seg, { ...s.cpu.getSegment(seg), base: value(b) }),
    });
  }
  return regs;
}

export const REGISTERS: readonly RegisterDef[] = buildRegisters();

/** Size of the `g` packet payload in bytes. */
export const REGISTER_BLOCK_SIZE = REGISTERS.reduce((sum, r) => sum + r.size, 0);

export function readRegister(access: RegisterAccess, def: RegisterDef): Uint8Array {
  const v = def.read(access);
  return typeof v === 'bigint' ? littleEndian(v, def.size) : v;
}
