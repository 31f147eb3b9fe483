/**
 * Case generator: builds randomised, edge-biased single-instruction cases for an instruction form
 * (an iced-x86 `Code`), encoded by iced-x86's encoder. Deterministic for a given (form, seed).
 *
 * What a case looks like: explicit operands get random registers, memory operands get random
 * [base + index*scale + disp] shapes whose registers are then set so that the access lands in
 * the data area; every register the instruction reads gets an edge-biased value; RSP always
 * points into the data area; near branches target the INT3-filled code page.
 */
import {
  Code,
  CodeExt,
  CpuidFeature,
  EncodingKind,
  Encoder,
  FlowControl,
  Instruction,
  InstructionInfoFactory,
  MemoryOperand,
  MemorySizeExt,
  Mnemonic,
  OpCodeOperandKind,
  OpKind,
  Register,
  RepPrefixKind,
} from 'iced-x86';
import {
  CODE_ENTRY,
  DATA_BASE,
  DATA_SIZE,
  FLAG_DF,
  RFLAGS_FIXED,
  STACK_TOP,
  STATUS_FLAGS,
  defaultGpr,
  defaultMm,
  defaultXmmByte,
  type CaseInput,
} from './case.js';
import { Rng } from './rng.js';

/** CPU features a generated form may need: x86-64 baseline plus the SSE levels and bit tricks. */
const ALLOWED_FEATURES = new Set<CpuidFeature>([
  CpuidFeature.INTEL8086,
  CpuidFeature.INTEL186,
  CpuidFeature.INTEL286,
  CpuidFeature.INTEL386,
  CpuidFeature.INTEL486,
  CpuidFeature.X64,
  CpuidFeature.CMOV,
  CpuidFeature.CX8,
  CpuidFeature.CMPXCHG16B,
  CpuidFeature.MULTIBYTENOP,
  CpuidFeature.SSE,
  CpuidFeature.SSE2,
  CpuidFeature.SSE3,
  CpuidFeature.SSSE3,
  CpuidFeature.SSE4_1,
  CpuidFeature.SSE4_2,
  CpuidFeature.POPCNT,
  CpuidFeature.LZCNT,
  CpuidFeature.BMI1,
  CpuidFeature.MOVBE,
  CpuidFeature.MMX,
]);

/**
 * Forms that run in user mode on the host but whose result there differs by design from our CPU
 * running the guest at CPL0, or that depend on the host rather than the instruction.
 */
export const EXCLUDED_FORMS: Record<string, string> = {
  Cli: 'IOPL-dependent: #GP at CPL3 on the host, allowed at CPL0 in the guest',
  Sti: 'IOPL-dependent: #GP at CPL3 on the host, allowed at CPL0 in the guest',
  Int_imm8: 'the host IDT gate DPL makes it #GP at CPL3; the guest IDT is the guest’s own',
  Pushfw: 'pushes IF/IOPL, which differ between a host process and the guest',
  Pushfq: 'pushes IF/IOPL, which differ between a host process and the guest',
  Popfw: 'privileged flag bits (IF, IOPL, AC) behave differently at CPL3',
  Popfq: 'privileged flag bits (IF, IOPL, AC) behave differently at CPL3',
  Cpuid: 'reports the host processor, not ours',
  Wait: 'x87 state is not part of the compared state',
  Pause: 'a hint with no architectural effect beyond NOP; covered by Nopd',
  Sldt_rm16: 'reads the host LDTR', Sldt_r32m16: 'reads the host LDTR', Sldt_r64m16: 'reads the host LDTR',
  Str_rm16: 'reads the host TR', Str_r32m16: 'reads the host TR', Str_r64m16: 'reads the host TR',
  Sgdt_m1664: 'stores the host GDTR (UMIP-emulated by the kernel)', Sidt_m1664: 'stores the host IDTR (UMIP-emulated by the kernel)',
  Smsw_rm16: 'reads the host CR0 (UMIP-emulated by the kernel)', Smsw_r32m16: 'reads the host CR0 (UMIP-emulated by the kernel)', Smsw_r64m16: 'reads the host CR0 (UMIP-emulated by the kernel)',
  Lar_r16_rm16: 'checks a selector against the host GDT/LDT', Lar_r32_r32m16: 'checks a selector against the host GDT/LDT', Lar_r64_r64m16: 'checks a selector against the host GDT/LDT',
  Lsl_r16_rm16: 'checks a selector against the host GDT/LDT', Lsl_r32_r32m16: 'checks a selector against the host GDT/LDT', Lsl_r64_r64m16: 'checks a selector against the host GDT/LDT',
  Verr_rm16: 'checks a selector against the host GDT/LDT', Verw_rm16: 'checks a selector against the host GDT/LDT',
  Verr_r32m16: 'checks a selector against the host GDT/LDT', Verr_r64m16: 'checks a selector against the host GDT/LDT',
  Verw_r32m16: 'checks a selector against the host GDT/LDT', Verw_r64m16: 'checks a selector against the host GDT/LDT',
  Rsqrtps_xmm_xmmm128: 'approximation whose exact bits are implementation-specific (only the error bound is architectural)',
  Rsqrtss_xmm_xmmm32: 'approximation whose exact bits are implementation-specific (only the error bound is architectural)',
  Rcpps_xmm_xmmm128: 'approximation whose exact bits are implementation-specific (only the error bound is architectural)',
  Rcpss_xmm_xmmm32: 'approximation whose exact bits are implementation-specific (only the error bound is architectural)',
  Monitor_rAX_ECX_EDX: 'faults at CPL3 on the host (MONITOR/MWAIT are ring-0 unless enabled)',
  Mwait_EAX_ECX: 'faults at CPL3 on the host (MONITOR/MWAIT are ring-0 unless enabled)',
};

const SUPPORTED_KINDS = new Set<OpCodeOperandKind>([
  OpCodeOperandKind.r8_or_mem,
  OpCodeOperandKind.r16_or_mem,
  OpCodeOperandKind.r32_or_mem,
  OpCodeOperandKind.r64_or_mem,
  OpCodeOperandKind.r32_reg_mem,
  OpCodeOperandKind.r64_reg_mem,
  OpCodeOperandKind.r8_reg,
  OpCodeOperandKind.r16_reg,
  OpCodeOperandKind.r32_reg,
  OpCodeOperandKind.r64_reg,
  OpCodeOperandKind.r8_opcode,
  OpCodeOperandKind.r16_opcode,
  OpCodeOperandKind.r32_opcode,
  OpCodeOperandKind.r64_opcode,
  OpCodeOperandKind.r16_rm,
  OpCodeOperandKind.r32_rm,
  OpCodeOperandKind.r64_rm,
  OpCodeOperandKind.al,
  OpCodeOperandKind.ax,
  OpCodeOperandKind.eax,
  OpCodeOperandKind.rax,
  OpCodeOperandKind.cl,
  OpCodeOperandKind.mem,
  OpCodeOperandKind.imm8,
  OpCodeOperandKind.imm16,
  OpCodeOperandKind.imm32,
  OpCodeOperandKind.imm64,
  OpCodeOperandKind.imm8sex16,
  OpCodeOperandKind.imm8sex32,
  OpCodeOperandKind.imm8sex64,
  OpCodeOperandKind.imm32sex64,
  OpCodeOperandKind.imm8_const_1,
  OpCodeOperandKind.xmm_reg,
  OpCodeOperandKind.xmm_rm,
  OpCodeOperandKind.xmm_or_mem,
  OpCodeOperandKind.mm_reg,
  OpCodeOperandKind.mm_rm,
  OpCodeOperandKind.mm_or_mem,
  OpCodeOperandKind.br64_1,
  OpCodeOperandKind.br64_4,
  OpCodeOperandKind.es_rDI,
  OpCodeOperandKind.seg_rDI,
  OpCodeOperandKind.seg_rSI,
  OpCodeOperandKind.seg_rBX_al,
]);

/** String instructions are built by iced-x86's dedicated constructors (implicit operands). */
const STRING_FORMS: Record<string, (rep: RepPrefixKind) => Instruction> = {};
for (const op of ['Movs', 'Cmps', 'Lods', 'Stos', 'Scas'] as const) {
  for (const size of ['b', 'w', 'd', 'q'] as const) {
    const name = `${op}${size}`;
    const create = (Instruction as unknown as Record<string, (...args: unknown[]) => Instruction>)[`create${name}`]!;
    const codeName = Object.keys(Code).find((k) => k.startsWith(`${name}_`) && !k.includes('xmm'))!;
    STRING_FORMS[codeName] =
      op === 'Stos' || op === 'Scas'
        ? (rep) => create.call(Instruction, 64, rep)
        : (rep) => create.call(Instruction, 64, Register.None, rep);
  }
}

const codeNames: string[] = Object.keys(Code).filter((k) => Number.isNaN(Number(k)));

/** Every form the generator can build and the host can run in user mode, in Code order. */
export function candidateForms(): string[] {
  return codeNames.filter((name) => whyNotCandidate(name) === null);
}

/** Reason a form is not generated, or null when it is. */
export function whyNotCandidate(name: string): string | null {
  const code = Code[name as keyof typeof Code];
  if (code === undefined) return 'unknown form';
  if (EXCLUDED_FORMS[name]) return EXCLUDED_FORMS[name]!;
  const op = CodeExt.opCode(code);
  try {
    if (!op.isInstruction || op.encoding !== EncodingKind.Legacy || !op.mode64) return 'not a legacy 64-bit form';
    if (op.isPrivileged || op.mustBeCpl0 || op.isInputOutput) return 'privileged or port I/O';
    for (let i = 0; i < op.opCount; i++) {
      if (!SUPPORTED_KINDS.has(op.opKind(i))) return `operand kind ${OpCodeOperandKind[op.opKind(i)]} not generated`;
    }
    const probe = Instruction.create(code);
    const features = probe.cpuidFeatures();
    const flow = probe.flowControl;
    probe.free();
    for (const f of features) if (!ALLOWED_FEATURES.has(f)) return `needs ${CpuidFeature[f]}`;
    if (flow === FlowControl.IndirectBranch || flow === FlowControl.IndirectCall) return 'indirect branch';
    if (flow === FlowControl.Interrupt && name !== 'Int3' && name !== 'Int1') return 'software interrupt';
    if (flow === FlowControl.XbeginXabortXend) return 'transactional memory';
    if (/^(Retf|Iret|Call_m16|Jmp_m16|Enter)/.test(name)) return 'far transfer or nested frame';
    if (/^(Lfs|Lgs|Lss)_/.test(name)) return 'loads a segment register (the host’s FS is its TLS)';
    return null;
  } finally {
    op.free();
  }
}

const GPR_NAMES = ['RAX', 'RCX', 'RDX', 'RBX', 'RSP', 'RBP', 'RSI', 'RDI'];
const GPR64: Register[] = [];
const GPR32: Register[] = [];
const GPR16: Register[] = [];
const GPR8: Register[] = [];
const XMM: Register[] = [];
const MM: Register[] = [];
for (let i = 0; i < 8; i++) MM.push(Register[`MM${i}` as keyof typeof Register]);
for (let i = 0; i < 16; i++) {
  const n = i < 8 ? GPR_NAMES[i]!.slice(1) : null;
  GPR64.push(Register[(i < 8 ? GPR_NAMES[i]! : `R${i}`) as keyof typeof Register]);
  GPR32.push(Register[(i < 8 ? `E${n}` : `R${i}D`) as keyof typeof Register]);
  GPR16.push(Register[(i < 8 ? n! : `R${i}W`) as keyof typeof Register]);
  XMM.push(Register[`XMM${i}` as keyof typeof Register]);
}
GPR8.push(Register.AL, Register.CL, Register.DL, Register.BL, Register.SPL, Register.BPL, Register.SIL, Register.DIL);
for (let i = 8; i < 16; i++) GPR8.push(Register[`R${i}L` as keyof typeof Register]);
const HIGH8 = [Register.AH, Register.CH, Register.DH, Register.BH];

/**
 * The byte-masked stores write to the implicit DS:[RDI], which the generic operand builder cannot
 * name; iced-x86's dedicated constructors build them with 64-bit addressing and no segment
 * override (FS/GS would be the host's). The mask and data registers are random; assignState
 * then points RDI into the data area like any memory base.
 */
const MASKED_STORE_FORMS: Record<string, (rng: Rng) => Instruction> = {
  Maskmovq_rDI_mm_mm: (rng) => Instruction.createMaskmovq(64, rng.pick(MM), rng.pick(MM), Register.None),
  Maskmovdqu_rDI_xmm_xmm: (rng) => Instruction.createMaskmovdqu(64, rng.pick(XMM), rng.pick(XMM), Register.None),
};

/** Where a register lives: GPR index, byte shift within it and width in bits; or an XMM/MM index. */
export function registerLocation(reg: Register): { gpr: number; shift: number; bits: number } | { xmm: number } | { mm: number } | null {
  let i = GPR64.indexOf(reg);
  if (i >= 0) return { gpr: i, shift: 0, bits: 64 };
  if ((i = GPR32.indexOf(reg)) >= 0) return { gpr: i, shift: 0, bits: 32 };
  if ((i = GPR16.indexOf(reg)) >= 0) return { gpr: i, shift: 0, bits: 16 };
  if ((i = GPR8.indexOf(reg)) >= 0) return { gpr: i, shift: 0, bits: 8 };
  if ((i = HIGH8.indexOf(reg)) >= 0) return { gpr: i, shift: 8, bits: 8 };
  if ((i = XMM.indexOf(reg)) >= 0) return { xmm: i };
  if ((i = MM.indexOf(reg)) >= 0) return { mm: i };
  return null;
}

/** An integer of `bits` bits that likes boundaries: 0, ±1, signed/unsigned extremes, powers of two. */
export function edgeInteger(rng: Rng, bits: number): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  const half = 1n << BigInt(bits - 1);
  const k = BigInt(rng.int(bits));
  const picks = [0n, 1n, mask, half - 1n, half, half + 1n, 1n << k, (1n << k) - 1n, mask ^ (1n << k), BigInt(rng.int(17))];
  const r = rng.int(16);
  return r < picks.length ? picks[r]! & mask : rng.bits(bits);
}

/** A 64-bit register value: an edge value of some width, extended, maybe with random upper bits. */
function edgeRegister(rng: Rng): bigint {
  const bits = rng.pick([8, 16, 32, 64]);
  let v = edgeInteger(rng, bits);
  if (bits < 64) {
    const r = rng.int(3);
    if (r === 0) v = BigInt.asUintN(64, BigInt.asIntN(bits, v));
    else if (r === 1) v |= rng.bits(64) & ~((1n << BigInt(bits)) - 1n);
  }
  return v;
}

const F32_EDGES = [0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 0xffc00000, 0x00000001, 0x80000001, 0x00800000, 0x7f7fffff, 0x4f000000, 0xcf000000, 0x5f000000, 0x3fc00000, 0x40490fdb, 0x4b000001];
const F64_EDGES = [0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff4000000000000n, 0xfff8000000000000n, 1n, 0x8000000000000001n, 0x0010000000000000n, 0x7fefffffffffffffn, 0x41e0000000000000n, 0xc1e0000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x3ff8000000000000n, 0x400921fb54442d18n];

/** 16 bytes for an XMM register or a 128-bit memory operand, lane type chosen at random. */
function edgeVector(rng: Rng): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  const shape = rng.int(5);
  for (let lane = 0; lane < 4; lane++) {
    if (shape === 0) view.setUint32(lane * 4, rng.chance(0.7) ? rng.pick(F32_EDGES) : Number(rng.bits(32)), true);
    else if (shape === 1 && lane < 2) view.setBigUint64(lane * 8, rng.chance(0.7) ? rng.pick(F64_EDGES) : rng.bits(64), true);
    else if (shape === 2) view.setUint32(lane * 4, Number(edgeInteger(rng, 32)), true);
    else if (shape === 3 && lane < 2) view.setBigUint64(lane * 8, edgeInteger(rng, 64), true);
    else if (shape === 4) view.setUint32(lane * 4, Number(edgeInteger(rng, rng.pick([8, 16]))) * 0x10001, true);
  }
  return out;
}

const DEFAULT_MXCSR = 0x1f80;
/** Distinct data-area fills: variety enough (memory operands also get patched edge values), and short to store. */
const DATA_SEEDS = 4096;

function edgeMxcsr(rng: Rng): number {
  if (rng.chance(0.7)) return DEFAULT_MXCSR;
  let mxcsr = (rng.int(4) << 13) | (rng.chance(0.2) ? 0x8040 : 0) | 0x1f80;
  if (rng.chance(0.1)) mxcsr &= ~(rng.int(64) << 7); // unmask some exceptions: #XM becomes possible
  if (rng.chance(0.3)) mxcsr |= rng.int(64); // sticky status bits
  return mxcsr;
}

/** A branch target in the code page: short for rel8 forms, never inside the instruction or stub. */
function branchTarget(rng: Rng, short: boolean): bigint {
  for (;;) {
    const offset = short ? rng.int(240) - 120 : rng.int(0xe00) - 0x700;
    if (offset >= -2 && offset < 32) continue; // the instruction, its exit stub, or just before it
    return BigInt(CODE_ENTRY + offset);
  }
}


function randomMemory(rng: Rng, avoidRsp: boolean): MemoryOperand {
  let base: number;
  do base = rng.int(16);
  while (base === 4 && avoidRsp);
  let index = -1;
  if (rng.chance(0.3)) {
    do index = rng.int(16);
    while (index === 4 || index === base);
  }
  const dispSize = rng.pick([0, 1, 1, 4]);
  const disp = dispSize === 0 ? 0n : dispSize === 1 ? BigInt(rng.int(256) - 128) : BigInt(rng.int(0x800) - 0x400);
  return MemoryOperand.new64(GPR64[base]!, index < 0 ? Register.None : GPR64[index]!, index < 0 ? 1 : rng.pick([1, 2, 4, 8]), disp, dispSize, false, Register.None);
}

/** A shift count for 16-bit SHLD/SHRD: counts above 16 (mod 32) leave result and flags undefined. */
function definedDoubleShift16Count(rng: Rng): number {
  return rng.int(17) + (rng.chance(0.3) ? 32 * (1 + rng.int(7)) : 0);
}
const isDoubleShift16 = (name: string): boolean => /^Sh[lr]d_rm16_/.test(name);

function immediate(rng: Rng, kind: OpCodeOperandKind): { value: bigint; signed: boolean } {
  switch (kind) {
    case OpCodeOperandKind.imm8_const_1:
      return { value: 1n, signed: true };
    case OpCodeOperandKind.imm8:
      return { value: rng.chance(0.5) ? BigInt(rng.int(70)) : edgeInteger(rng, 8), signed: false };
    case OpCodeOperandKind.imm16:
      return { value: edgeInteger(rng, 16), signed: false };
    case OpCodeOperandKind.imm32:
      return { value: edgeInteger(rng, 32), signed: false };
    case OpCodeOperandKind.imm64:
      return { value: edgeRegister(rng), signed: false };
    case OpCodeOperandKind.imm8sex16:
    case OpCodeOperandKind.imm8sex32:
    case OpCodeOperandKind.imm8sex64:
      return { value: BigInt.asIntN(8, edgeInteger(rng, 8)), signed: true };
    default:
      return { value: BigInt.asIntN(32, edgeInteger(rng, 32)), signed: true };
  }
}

function randomRegister(rng: Rng, kind: OpCodeOperandKind): Register | null {
  switch (kind) {
    case OpCodeOperandKind.r8_or_mem:
    case OpCodeOperandKind.r8_reg:
    case OpCodeOperandKind.r8_opcode:
      return rng.chance(0.15) ? rng.pick(HIGH8) : rng.pick(GPR8);
    case OpCodeOperandKind.r16_or_mem:
    case OpCodeOperandKind.r16_reg:
    case OpCodeOperandKind.r16_opcode:
    case OpCodeOperandKind.r16_rm:
      return rng.pick(GPR16);
    case OpCodeOperandKind.r32_or_mem:
    case OpCodeOperandKind.r32_reg:
    case OpCodeOperandKind.r32_opcode:
    case OpCodeOperandKind.r32_rm:
    case OpCodeOperandKind.r32_reg_mem:
      return rng.pick(GPR32);
    case OpCodeOperandKind.r64_or_mem:
    case OpCodeOperandKind.r64_reg:
    case OpCodeOperandKind.r64_opcode:
    case OpCodeOperandKind.r64_rm:
    case OpCodeOperandKind.r64_reg_mem:
      return rng.pick(GPR64);
    case OpCodeOperandKind.xmm_reg:
    case OpCodeOperandKind.xmm_rm:
    case OpCodeOperandKind.xmm_or_mem:
      return rng.pick(XMM);
    case OpCodeOperandKind.mm_reg:
    case OpCodeOperandKind.mm_rm:
    case OpCodeOperandKind.mm_or_mem:
      return rng.pick(MM);
    case OpCodeOperandKind.al:
      return Register.AL;
    case OpCodeOperandKind.ax:
      return Register.AX;
    case OpCodeOperandKind.eax:
      return Register.EAX;
    case OpCodeOperandKind.rax:
      return Register.RAX;
    case OpCodeOperandKind.cl:
      return Register.CL;
    default:
      return null;
  }
}

const MAY_BE_MEMORY = new Set([
  OpCodeOperandKind.r8_or_mem,
  OpCodeOperandKind.r16_or_mem,
  OpCodeOperandKind.r32_or_mem,
  OpCodeOperandKind.r64_or_mem,
  OpCodeOperandKind.r32_reg_mem,
  OpCodeOperandKind.r64_reg_mem,
  OpCodeOperandKind.xmm_or_mem,
  OpCodeOperandKind.mm_or_mem,
]);

type Operand = { t: 'Reg'; reg: Register } | { t: 'Mem'; mem: MemoryOperand } | { t: 'Imm'; value: bigint; signed: boolean };

/** One random instance of the form, or null if this draw cannot be encoded (e.g. AH with REX). */
function buildInstruction(rng: Rng, name: string, code: Code): Instruction | null {
  const stringForm = STRING_FORMS[name];
  if (stringForm) {
    const isCompare = name.startsWith('Cmps') || name.startsWith('Scas');
    const rep = rng.pick(isCompare ? [RepPrefixKind.None, RepPrefixKind.Repe, RepPrefixKind.Repne] : [RepPrefixKind.None, RepPrefixKind.Repe]);
    return stringForm(rep);
  }
  const maskedStore = MASKED_STORE_FORMS[name];
  if (maskedStore) return maskedStore(rng);
  if (name === 'Xlat_m8') {
    return Instruction.createMem(code, MemoryOperand.new64(Register.RBX, Register.AL, 1, 0n, 0, false, Register.None));
  }
  const op = CodeExt.opCode(code);
  try {
    const kinds: OpCodeOperandKind[] = [];
    for (let i = 0; i < op.opCount; i++) kinds.push(op.opKind(i));
    if (kinds.some((k) => k === OpCodeOperandKind.br64_1 || k === OpCodeOperandKind.br64_4)) {
      return Instruction.createBranch(code, branchTarget(rng, kinds[0] === OpCodeOperandKind.br64_1));
    }
    const operands: Operand[] = [];
    for (const kind of kinds) {
      if (kind === OpCodeOperandKind.mem || (MAY_BE_MEMORY.has(kind) && rng.chance(0.5))) {
        operands.push({ t: 'Mem', mem: randomMemory(rng, op.isStackInstruction) });
        continue;
      }
      const reg = randomRegister(rng, kind);
      if (reg !== null) operands.push({ t: 'Reg', reg });
      else if (isDoubleShift16(name)) operands.push({ t: 'Imm', value: BigInt(definedDoubleShift16Count(rng)), signed: false });
      else operands.push({ t: 'Imm', ...immediate(rng, kind) });
    }
    const signature = operands.map((o) => (o.t === 'Imm' ? (o.value > 0xffff_ffffn || o.value < -0x8000_0000n ? 'U64' : o.signed ? 'I32' : 'U32') : o.t)).join('');
    const args = operands.map((o) => (o.t === 'Reg' ? o.reg : o.t === 'Mem' ? o.mem : signatureValue(o)));
    const create = (Instruction as unknown as Record<string, (...a: unknown[]) => Instruction>)[`create${signature}`];
    if (!create) throw new Error(`no Instruction.create${signature} for ${name}`);
    const instruction = create.call(Instruction, code, ...args);
    if (op.canUseLockPrefix && rng.chance(operands.some((o) => o.t === 'Mem') ? 0.3 : 0.03)) instruction.hasLockPrefix = true;
    return instruction;
  } finally {
    op.free();
  }
}

function signatureValue(o: { value: bigint; signed: boolean }): number | bigint {
  if (o.value > 0xffff_ffffn || o.value < -0x8000_0000n) return BigInt.asUintN(64, o.value);
  return Number(o.value);
}

const encoder = new Encoder(64);
const infoFactory = new InstructionInfoFactory();

/** `count` cases for `form`, reproducible from `seed`. */
export function generateCases(form: string, count: number, seed: number): CaseInput[] {
  const code = Code[form as keyof typeof Code];
  if (code === undefined) throw new Error(`unknown form ${form}`);
  const rng = new Rng(seed ^ hashString(form));
  const cases: CaseInput[] = [];
  let attempts = 0;
  while (cases.length < count) {
    if (++attempts > count * 20) throw new Error(`cannot encode form ${form}`);
    const built = buildOnce(rng, form, code);
    if (built) cases.push(built);
  }
  return cases;
}

function buildOnce(rng: Rng, form: string, code: Code): CaseInput | null {
  let instruction: Instruction | null = null;
  let bytes: Uint8Array;
  try {
    instruction = buildInstruction(rng, form, code);
    if (!instruction) return null;
    encoder.takeBuffer(); // a failed encode can leave bytes behind
    const length = encoder.encode(instruction, BigInt(CODE_ENTRY));
    bytes = encoder.takeBuffer();
    if (bytes.length !== length) throw new Error(`encoder returned ${bytes.length} bytes for ${length}`);
  } catch {
    instruction?.free();
    return null; // an operand combination this encoding cannot express
  }
  try {
    return assignState(rng, form, instruction, bytes);
  } finally {
    instruction.free();
  }
}

function assignState(rng: Rng, form: string, instruction: Instruction, bytes: Uint8Array): CaseInput {
  const gpr: bigint[] = [];
  for (let i = 0; i < 16; i++) gpr.push(defaultGpr(i));
  const xmm = new Uint8Array(256);
  for (let r = 0; r < 16; r++) for (let b = 0; b < 16; b++) xmm[r * 16 + b] = defaultXmmByte(r, b);
  const mm = defaultMm();

  const info = infoFactory.info(instruction);
  const usedRegisters = info.usedRegisters() as Array<{ register: Register; free(): void }>;
  const usedMemory = info.usedMemory() as Array<{ base: Register; index: Register; scale: number; displacement: bigint; memorySize: number; free(): void }>;
  let usesSse = /mxcsr/i.test(form);
  for (const used of usedRegisters) {
    const where = registerLocation(used.register);
    if (where && 'gpr' in where) gpr[where.gpr] = edgeRegister(rng);
    else if (where && 'mm' in where) mm.set(edgeVector(rng).subarray(0, 8), where.mm * 8);
    else if (where) {
      xmm.set(edgeVector(rng), where.xmm * 16);
      usesSse = true;
    }
    used.free();
  }
  // Division: most cases should divide, not fault: make the high half of the dividend small.
  const mnemonic = instruction.mnemonic;
  if ((mnemonic === Mnemonic.Div || mnemonic === Mnemonic.Idiv) && rng.chance(0.6)) {
    const negative = mnemonic === Mnemonic.Idiv && rng.chance(0.5);
    if (form.includes('rm8')) {
      // Dividend AX: AH is the high half.
      gpr[0] = (gpr[0]! & ~0xff00n) | (negative ? 0xff80n : 0n);
    } else {
      // Dividend rDX:rAX: rDX is the high half; a negative one needs rAX's sign bit set too.
      gpr[2] = negative ? BigInt.asUintN(64, -1n) : 0n;
      if (negative) gpr[0] = gpr[0]! | 0x8000_0000_0000_0000n | 0x8000_0000n | 0x8000n;
    }
  }
  if (instruction.hasRepPrefix || instruction.hasRepePrefix || instruction.hasRepnePrefix) gpr[1] = BigInt(rng.int(10));
  if (isDoubleShift16(form) && form.endsWith('_CL')) gpr[1] = (gpr[1]! & ~0xffn) | BigInt(definedDoubleShift16Count(rng));
  // BT* with a register bit offset addresses memory up to ±2^60 bytes away: keep it near.
  const bitTest = mnemonic === Mnemonic.Bt || mnemonic === Mnemonic.Bts || mnemonic === Mnemonic.Btr || mnemonic === Mnemonic.Btc;
  if (bitTest && instruction.op0Kind === OpKind.Memory && instruction.op1Kind === OpKind.Register) {
    const offset = registerLocation(instruction.op1Register);
    if (offset && 'gpr' in offset) gpr[offset.gpr] = BigInt.asUintN(64, BigInt(rng.int(4096) - 2048));
  }

  // Pointers: RSP into the middle of the data area, memory bases so each access lands in it.
  const assigned = new Set<number>([4]);
  gpr[4] = BigInt(STACK_TOP + (rng.int(64) - 32) * 8 + (rng.chance(0.05) ? rng.int(8) : 0));
  let patchOffset = 0;
  let patch: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  usedMemory.forEach((m, n) => {
    const base = registerLocation(m.base);
    if (!base || !('gpr' in base) || base.bits !== 64) return;
    let indexValue = 0n;
    const index = registerLocation(m.index);
    if (index && 'gpr' in index) {
      if (index.bits === 64 && !assigned.has(index.gpr)) {
        gpr[index.gpr] = BigInt.asUintN(64, BigInt(rng.int(24) - 8));
        assigned.add(index.gpr);
      }
      indexValue = BigInt.asIntN(index.bits, (gpr[index.gpr]! >> BigInt(index.shift)) & ((1n << BigInt(index.bits)) - 1n));
      if (index.bits < 64) indexValue = BigInt.asUintN(index.bits, indexValue);
    }
    let target: number;
    if (assigned.has(base.gpr)) {
      target = Number(BigInt.asUintN(64, gpr[base.gpr]! + m.displacement + indexValue * BigInt(m.scale)) & 0xffff_ffffn);
    } else {
      const align = rng.chance(0.8) ? 16 : 1;
      target = DATA_BASE + 0x400 + Math.floor(rng.int(DATA_SIZE - 0x800) / align) * align;
      gpr[base.gpr] = BigInt.asUintN(64, BigInt(target) - BigInt.asIntN(64, m.displacement) - indexValue * BigInt(m.scale));
      assigned.add(base.gpr);
    }
    if (n === 0 && target >= DATA_BASE && target + 16 <= DATA_BASE + DATA_SIZE) {
      patchOffset = target - DATA_BASE;
      patch = memoryValue(rng).subarray(0, Math.max(1, Math.min(16, MemorySizeExt.size(m.memorySize))));
    }
  });
  for (const m of usedMemory) m.free();
  info.free();

  // A near return pops its target: make it a code-page address.
  if (instruction.flowControl === FlowControl.Return) {
    const ret = new Uint8Array(8);
    new DataView(ret.buffer).setBigUint64(0, branchTarget(rng, false), true);
    patchOffset = Number(gpr[4]!) - DATA_BASE;
    patch = ret;
  }

  let rflags = RFLAGS_FIXED | (rng.int(0x1000) & STATUS_FLAGS);
  if (rng.chance(0.25)) rflags |= FLAG_DF;
  return {
    form,
    code: new Uint8Array(bytes),
    gpr,
    rflags,
    mxcsr: usesSse ? edgeMxcsr(rng) : DEFAULT_MXCSR,
    dataSeed: rng.int(DATA_SEEDS),
    xmm,
    patchOffset,
    patch,
    mm,
  };
}

/** Bytes for the first memory operand: an edge integer of its size, or an edge vector. */
function memoryValue(rng: Rng): Uint8Array {
  if (rng.chance(0.2)) return new Uint8Array(0);
  const vector = edgeVector(rng);
  if (rng.chance(0.5)) {
    const view = new DataView(vector.buffer);
    view.setBigUint64(0, edgeRegister(rng), true);
  }
  return vector;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
