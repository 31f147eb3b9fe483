/**
 * Integer instruction families on small assembled snippets: results and flags.
 */
import { describe, expect, it } from 'vitest';
import { DATA_BASE, RAX, RBX, RCX, RDI, RDX, RSI, R8, R9, runAsm, StopReason, type Machine } from './long-mode-harness.js';

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

function run(code: string, setup?: (m: Machine) => void): Machine {
  const { m, stop } = runAsm(code + '\nhlt\n', setup);
  expect(stop).toBe(StopReason.Halted);
  return m;
}

function r(m: Machine, n: number): bigint {
  return m.cpu.getGpr(n);
}

function flags(m: Machine, mask = ARITH): number {
  return m.cpu.getRflags() & mask;
}

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

describe('ALU', () => {
  it('adds with carry, overflow, parity, aux and zero flags in each size', () => {
    let m = run('mov $0x7f, %al\nadd $1, %al');
    expect(r(m, RAX) & 0xffn).toBe(0x80n);
    expect(flags(m)).toBe(SF | OF | AF);
    m = run('mov $0xffffffff, %eax\nadd $1, %eax');
    expect(r(m, RAX)).toBe(0n);
    expect(flags(m)).toBe(CF | ZF | PF | AF);
    m = run('mov $-1, %rax\nmov $1, %rbx\nadd %rbx, %rax');
    expect(r(m, RAX)).toBe(0n);
    expect(flags(m)).toBe(CF | ZF | PF | AF);
    m = run('mov $0x7fffffffffffffff, %rax\nadd $1, %rax');
    expect(r(m, RAX)).toBe(0x8000000000000000n);
    expect(flags(m)).toBe(OF | SF | AF | PF);
    m = run('mov $0x1234ffff, %eax\nadd $1, %ax');
    expect(r(m, RAX)).toBe(0x12340000n);
    expect(flags(m) & (CF | ZF)).toBe(CF | ZF);
  });

  it('subtracts and compares (borrow, signed overflow)', () => {
    let m = run('mov $1, %eax\nsub $2, %eax');
    expect(r(m, RAX)).toBe(0xffffffffn);
    expect(flags(m)).toBe(CF | SF | PF | AF);
    m = run('mov $0x8000000000000000, %rax\ncmp $1, %rax');
    expect(flags(m)).toBe(OF | PF | AF);
    m = run('mov $5, %rax\ncmp $5, %rax\nsete %bl\nsetb %cl\nsetl %dl');
    expect([r(m, RBX), r(m, RCX), r(m, RDX)]).toEqual([1n, 0n, 0n]);
    m = run('mov $-5, %rax\ncmp $3, %rax\nsetl %bl\nseta %cl\nsetg %dl\nsetbe %sil');
    expect([r(m, RBX), r(m, RCX), r(m, RDX), r(m, RSI) & 0xffn]).toEqual([1n, 1n, 0n, 0n]);
  });

  it('ADC/SBB chain 128-bit arithmetic', () => {
    const m = run('mov $-1, %rax\nmov $0, %rdx\nadd $1, %rax\nadc $0, %rdx\nmov $0, %rbx\nmov $0, %rcx\nsub $1, %rbx\nsbb $0, %rcx');
    expect([r(m, RAX), r(m, RDX), r(m, RBX), r(m, RCX)]).toEqual([0n, 1n, U64(-1n), U64(-1n)]);
    const m2 = run('stc\nmov $0xff, %al\nadc $0, %al');
    expect(r(m2, RAX) & 0xffn).toBe(0n);
    expect(flags(m2, CF | ZF)).toBe(CF | ZF);
  });

  it('logic ops clear CF/OF; 32-bit results zero the upper half', () => {
    const m = run('mov $-1, %rax\nand $0x0f0f0f0f, %eax\nmov $-1, %rbx\nxor %ebx, %ebx\nmov $0x80, %cl\nor $1, %cl');
    expect(r(m, RAX)).toBe(0x0f0f0f0fn);
    expect(r(m, RBX)).toBe(0n);
    expect(r(m, RCX) & 0xffn).toBe(0x81n);
    expect(flags(m, CF | OF | SF | ZF | PF)).toBe(SF | PF);
  });

  it('INC/DEC keep CF; NEG/NOT; TEST', () => {
    let m = run('stc\nmov $0xffffffffffffffff, %rax\ninc %rax');
    expect(r(m, RAX)).toBe(0n);
    expect(flags(m, CF | ZF)).toBe(CF | ZF);
    m = run('clc\nmov $0x80, %bl\ndec %bl');
    expect(r(m, RBX)).toBe(0x7fn);
    expect(flags(m, CF | OF)).toBe(OF);
    m = run('mov $5, %rax\nneg %rax\nmov $0, %rbx\nneg %rbx\nmov $0x00ff, %cx\nnot %cx');
    expect(r(m, RAX)).toBe(U64(-5n));
    expect(r(m, RBX)).toBe(0n);
    expect(flags(m, CF | ZF)).toBe(ZF);
    expect(r(m, RCX) & 0xffffn).toBe(0xff00n);
    m = run('mov $0x100, %eax\ntest $0x100, %eax\nsetnz %bl\ntest %eax, %eax');
    expect(r(m, RBX)).toBe(1n);
  });

  it('handles AH/CH/DH/BH without REX and SPL/BPL/SIL/DIL with REX', () => {
    const m = run('mov $0x1122, %eax\nmov %ah, %bl\nadd $1, %ah\nmov $0x77, %sil\nmov %sil, %cl');
    expect(r(m, RAX)).toBe(0x1222n);
    expect(r(m, RBX) & 0xffn).toBe(0x11n);
    expect(r(m, RCX) & 0xffn).toBe(0x77n);
  });

  it('reads and writes memory operands with SIB, RIP-relative and FS/GS bases', () => {
    const m = run(
      `mov $${DATA_BASE}, %rbx\nmov $3, %rcx\nmovq $7, 8(%rbx,%rcx,8)\nadd 32(%rbx), %rax\nlea 8(%rbx,%rcx,8), %r10\n` +
        `mov val(%rip), %r8\njmp 1f\nval: .quad 0x1122334455667788\n1:\n` +
        `mov $0xc0000100, %ecx\nmov $${DATA_BASE}, %eax\nxor %edx, %edx\nwrmsr\nmov %fs:32, %r9`,
    );
    expect(m.cpu.getGpr(10)).toBe(BigInt(DATA_BASE + 32));
    expect(r(m, R8)).toBe(0x1122334455667788n);
    expect(r(m, R9)).toBe(7n);
  });
});

describe('shifts and rotates', () => {
  it('SHL/SHR/SAR with CF and OF, by 1, CL and imm', () => {
    let m = run('mov $0x81, %al\nshl $1, %al');
    expect(r(m, RAX) & 0xffn).toBe(2n);
    expect(flags(m, CF | OF)).toBe(CF | OF);
    m = run('mov $0x8000000000000001, %rax\nshr $1, %rax');
    expect(r(m, RAX)).toBe(0x4000000000000000n);
    expect(flags(m, CF | OF)).toBe(CF | OF);
    m = run('mov $-16, %rax\nmov $3, %cl\nsar %cl, %rax');
    expect(r(m, RAX)).toBe(U64(-2n));
    m = run('mov $1, %rax\nshl $63, %rax\nmov $1, %rbx\nshl $40, %rbx');
    expect(r(m, RAX)).toBe(0x8000000000000000n);
    expect(r(m, RBX)).toBe(1n << 40n);
    m = run('mov $0xdeadbeef, %eax\nmov $-1, %rbx\nmov $0, %cl\nshl %cl, %ebx\nstc\nshl %cl, %eax');
    expect(r(m, RBX)).toBe(0xffffffffn);
    expect(flags(m, CF)).toBe(CF);
  });

  it('ROL/ROR and RCL/RCR through carry', () => {
    let m = run('mov $0x8000000000000001, %rax\nrol $4, %rax\nmov $0x12, %bl\nror $4, %bl');
    expect(r(m, RAX)).toBe(0x18n);
    expect(r(m, RBX) & 0xffn).toBe(0x21n);
    m = run('stc\nmov $0, %eax\nrcl $1, %eax\nstc\nmov $0, %rbx\nrcr $1, %rbx');
    expect(r(m, RAX)).toBe(1n);
    expect(r(m, RBX)).toBe(0x8000000000000000n);
    m = run('clc\nmov $0x80, %al\nrcl $1, %al');
    expect(r(m, RAX) & 0xffn).toBe(0n);
    expect(flags(m, CF)).toBe(CF);
  });

  it('SHLD/SHRD in 16, 32 and 64 bits', () => {
    let m = run('mov $0x1234567800000000, %rax\nmov $0xabcdef0000000000, %rbx\nshld $8, %rbx, %rax');
    expect(r(m, RAX)).toBe(0x34567800000000abn);
    m = run('mov $0x12345678, %eax\nmov $0x9abcdef0, %ebx\nmov $12, %cl\nshrd %cl, %ebx, %eax');
    expect(r(m, RAX)).toBe(0xef012345n);
    m = run('mov $0x1234, %ax\nmov $0xabcd, %bx\nshld $4, %bx, %ax');
    expect(r(m, RAX) & 0xffffn).toBe(0x234an);
  });
});

describe('multiply and divide', () => {
  it('MUL/IMUL one-operand forms give the double-width result', () => {
    let m = run('mov $0xffffffffffffffff, %rax\nmov $0xffffffffffffffff, %rbx\nmul %rbx');
    expect([r(m, RDX), r(m, RAX)]).toEqual([0xfffffffffffffffen, 1n]);
    expect(flags(m, CF | OF)).toBe(CF | OF);
    m = run('mov $-3, %rax\nmov $7, %rbx\nimul %rbx');
    expect([r(m, RDX), r(m, RAX)]).toEqual([U64(-1n), U64(-21n)]);
    expect(flags(m, CF | OF)).toBe(0);
    m = run('mov $0x80000000, %eax\nmov $2, %ecx\nimul %ecx');
    expect([r(m, RDX), r(m, RAX)]).toEqual([0xffffffffn, 0n]);
    expect(flags(m, CF | OF)).toBe(CF | OF);
    m = run('mov $200, %al\nmov $3, %bl\nmul %bl');
    expect(r(m, RAX) & 0xffffn).toBe(600n);
  });

  it('IMUL two- and three-operand forms truncate and flag overflow', () => {
    let m = run('mov $0x100000000, %rax\nimul %rax, %rax');
    expect(r(m, RAX)).toBe(0n);
    expect(flags(m, CF | OF)).toBe(CF | OF);
    m = run('mov $-5, %rbx\nimul $1000, %rbx, %rcx\nimul $-3, %ecx, %edx');
    expect(r(m, RCX)).toBe(U64(-5000n));
    expect(r(m, RDX)).toBe(15000n);
  });

  it('DIV/IDIV 128/64, 64/32, 32/16, 16/8', () => {
    let m = run('mov $5, %rdx\nmov $7, %rax\nmov $0x100000000, %rcx\ndiv %rcx');
    const n = (5n << 64n) + 7n;
    expect([r(m, RAX), r(m, RDX)]).toEqual([n / 0x100000000n, n % 0x100000000n]);
    m = run('mov $-7, %rax\ncqo\nmov $2, %rcx\nidiv %rcx');
    expect([r(m, RAX), r(m, RDX)]).toEqual([U64(-3n), U64(-1n)]);
    m = run('mov $0xfffffff, %edx\nmov $0xabcdef01, %eax\nmov $0x7fffffff, %ecx\ndiv %ecx');
    const n2 = (0xfffffffn << 32n) + 0xabcdef01n;
    expect([r(m, RAX), r(m, RDX)]).toEqual([n2 / 0x7fffffffn, n2 % 0x7fffffffn]);
    m = run('mov $-100, %ax\nmov $7, %cl\nidiv %cl');
    expect(r(m, RAX) & 0xffffn).toBe(0xfef2n);
    const big = 0xfedcba9876543210n;
    const d = 0x123456789n;
    m = run(`mov $0x12, %rdx\nmov $${big}, %rax\nmov $${d}, %rcx\ndiv %rcx`);
    const n3 = (0x12n << 64n) + big;
    expect([r(m, RAX), r(m, RDX)]).toEqual([n3 / d, n3 % d]);
    m = run(`mov $-2, %rdx\nmov $${big}, %rax\nmov $${d}, %rcx\nidiv %rcx`);
    const n4 = BigInt.asIntN(128, (U64(-2n) << 64n) + big);
    expect([r(m, RAX), r(m, RDX)]).toEqual([U64(n4 / d), U64(n4 % d)]);
  });
});

describe('bit operations', () => {
  it('BT/BTS/BTR/BTC on registers and memory with large offsets', () => {
    let m = run('mov $0x10, %rax\nbt $4, %rax\nsetc %bl\nbts $63, %rax\nbtr $4, %rax\nbtc $0, %rax');
    expect(r(m, RBX)).toBe(1n);
    expect(r(m, RAX)).toBe(0x8000000000000001n);
    m = run(`mov $${DATA_BASE + 64}, %rdi\nmov $-1, %rcx\nbts %rcx, (%rdi)\nmov $100, %rcx\nbts %rcx, (%rdi)\nbt %rcx, (%rdi)\nsetc %dl`);
    expect(m.mem.u8[DATA_BASE + 63]).toBe(0x80);
    expect(m.mem.u8[DATA_BASE + 64 + 12]).toBe(0x10);
    expect(r(m, RDX)).toBe(1n);
  });

  it('BSF/BSR/TZCNT/LZCNT/POPCNT', () => {
    const m = run('mov $0x00f0000000000000, %rax\nbsf %rax, %rbx\nbsr %rax, %rcx\ntzcnt %rax, %rdx\nlzcnt %rax, %rsi\npopcnt %rax, %rdi\nxor %r8, %r8\nmov $77, %r9\nbsf %r8, %r9\nsetz %r10b\ntzcnt %r8d, %r11d');
    expect([r(m, RBX), r(m, RCX), r(m, RDX), r(m, RSI), r(m, RDI)]).toEqual([52n, 55n, 52n, 8n, 4n]);
    expect(r(m, R9)).toBe(77n);
    expect(m.cpu.getGpr(10)).toBe(1n);
    expect(m.cpu.getGpr(11)).toBe(32n);
    expect(flags(m, CF)).toBe(CF);
  });
});

describe('data movement', () => {
  it('MOVZX/MOVSX/MOVSXD/CBW family/BSWAP/XCHG/CMOV', () => {
    const m = run(
      'mov $0x80, %al\nmovsbq %al, %rbx\nmovzbl %al, %ecx\nmov $-2, %edx\nmovslq %edx, %rdx\n' +
        'mov $0x8000, %ax\ncwtl\nmov $0x1122334455667788, %rdi\nbswap %rdi\n' +
        'mov $1, %r8\nmov $2, %r9\nxchg %r8, %r9\ncmp %r8, %r9\ncmovb %r8, %r10\ncmova %r8, %r11',
    );
    expect(r(m, RBX)).toBe(U64(-128n));
    expect(r(m, RCX)).toBe(0x80n);
    expect(r(m, RDX)).toBe(U64(-2n));
    expect(r(m, RAX)).toBe(0xffff8000n);
    expect(r(m, RDI)).toBe(0x8877665544332211n);
    expect([r(m, R8), r(m, R9)]).toEqual([2n, 1n]);
    expect(m.cpu.getGpr(10)).toBe(2n);
    expect(m.cpu.getGpr(11)).toBe(0n);
  });

  it('CQO/CDQ, MOVBE, CMOV with 32-bit operands zero-extends even when false', () => {
    const m = run(`mov $-1, %rax\ncqo\nmov $-1, %rbx\nxor %ecx, %ecx\ncmp $1, %ecx\ncmove %ecx, %ebx\nmovl $0x11223344, ${DATA_BASE}\nmovbe ${DATA_BASE}, %esi`);
    expect(r(m, RDX)).toBe(U64(-1n));
    expect(r(m, RBX)).toBe(0xffffffffn);
    expect(r(m, RSI)).toBe(0x44332211n);
  });

  it('CMPXCHG, XADD, CMPXCHG16B', () => {
    const m = run(
      `mov $${DATA_BASE}, %rdi\nmovq $5, (%rdi)\nmov $5, %eax\nmov $9, %ecx\nlock cmpxchg %rcx, (%rdi)\nsetz %r8b\n` +
        `mov $1, %eax\nlock cmpxchg %rcx, (%rdi)\nmov %rax, %r9\n` +
        `mov $3, %r11d\nlock xadd %r11, (%rdi)\n` +
        `movq $1, 16(%rdi)\nmovq $2, 24(%rdi)\nmov $1, %eax\nmov $2, %edx\nmov $7, %ebx\nmov $8, %ecx\nlock cmpxchg16b 16(%rdi)\nsetz %r10b`,
    );
    expect(r(m, R8)).toBe(1n);
    expect(r(m, R9)).toBe(9n);
    expect(m.cpu.getGpr(11)).toBe(9n);
    expect(m.mem.view.getBigUint64(DATA_BASE, true)).toBe(12n);
    expect(m.cpu.getGpr(10)).toBe(1n);
    expect(m.mem.view.getBigUint64(DATA_BASE + 16, true)).toBe(7n);
    expect(m.mem.view.getBigUint64(DATA_BASE + 24, true)).toBe(8n);
  });

  it('LOCK on a register destination is #UD', () => {
    const { m, stop } = runAsm('.byte 0xf0, 0x48, 0x01, 0xc0\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(6);
  });

  it('decodes the 15-byte limit (#GP) and VEX (#UD)', () => {
    const { m, stop } = runAsm('.byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x90\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(13);
    const v = runAsm('vpxor %xmm0, %xmm0, %xmm0\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(v.stop).toBe(StopReason.Exception);
    expect(v.m.cpu.stopInfo.vector).toBe(6);
  });
});

describe('stack and control flow', () => {
  it('PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHF/POPF', () => {
    const m = run(
      'mov %rsp, %r15\npush $-2\npop %rax\npushw $0x1234\npopw %bx\ncall f\njmp 1f\nf: enter $16, $0\nmov %rbp, %r8\nleave\nret\n1:\n' +
        'stc\npushfq\npop %rcx\nmov $0, %rdx\npush %rdx\npopfq\npushfq\npop %rsi\nmov %rsp, %r9',
    );
    expect(r(m, RAX)).toBe(U64(-2n));
    expect(r(m, RBX) & 0xffffn).toBe(0x1234n);
    expect(r(m, R8)).toBe(m.cpu.getGpr(15) - 16n);
    expect(r(m, RCX) & 1n).toBe(1n);
    expect(r(m, RSI)).toBe(2n);
    expect(r(m, R9)).toBe(m.cpu.getGpr(15));
  });

  it('LOOP/JRCXZ/indirect jumps and calls', () => {
    const m = run(
      'mov $10, %ecx\nxor %eax, %eax\n1: add %ecx, %eax\nloop 1b\njrcxz 2f\nmov $99, %eax\n2:\nlea 3f(%rip), %rbx\ncall *%rbx\njmp 4f\n3: mov $7, %edx\nret\n4:',
    );
    expect(r(m, RAX)).toBe(55n);
    expect(r(m, RDX)).toBe(7n);
  });

  it('LRETQ reloads CS through the GDT (the Solo5 cpu_init sequence)', () => {
    const m = run('pushq $0x08\nlea 1f(%rip), %rax\npushq %rax\nlretq\n1: mov $0x10, %eax\nmov %eax, %ss\nmov %eax, %ds\nmov %cs, %ebx');
    expect(r(m, RBX)).toBe(8n);
    expect(m.cpu.getSegment(2).selector).toBe(0x10);
  });
});

describe('string instructions', () => {
  it('REP MOVSB/MOVSQ/STOSB/STOSQ in bulk across pages', () => {
    const m = run(
      `mov $${DATA_BASE}, %rdi\nmov $0xab, %al\nmov $10000, %ecx\nrep stosb\n` +
        `mov $${DATA_BASE}, %rsi\nmov $${DATA_BASE + 0x10000}, %rdi\nmov $10000, %ecx\nrep movsb\n` +
        `mov $0x1122334455667788, %rax\nmov $${DATA_BASE + 0x20001}, %rdi\nmov $1000, %ecx\nrep stosq\n` +
        `mov $${DATA_BASE + 0x20001}, %rsi\nmov $${DATA_BASE + 0x30003}, %rdi\nmov $1000, %ecx\nrep movsq`,
    );
    expect(m.mem.u8.subarray(DATA_BASE + 0x10000, DATA_BASE + 0x10000 + 10000).every((b) => b === 0xab)).toBe(true);
    expect(m.mem.u8[DATA_BASE + 0x10000 + 10000]).toBe(0);
    for (const off of [0, 8 * 500, 8 * 999]) expect(m.mem.view.getBigUint64(DATA_BASE + 0x30003 + off, true)).toBe(0x1122334455667788n);
    expect(r(m, RCX)).toBe(0n);
    expect(r(m, RDI)).toBe(BigInt(DATA_BASE + 0x30003 + 8000));
  });

  it('overlapping forward MOVSB replicates like hardware', () => {
    const m = run(`movb $7, ${DATA_BASE}\nmovb $9, ${DATA_BASE + 1}\nmov $${DATA_BASE}, %rsi\nmov $${DATA_BASE + 2}, %rdi\nmov $100, %ecx\nrep movsb`);
    for (let k = 0; k < 102; k++) expect(m.mem.u8[DATA_BASE + k]).toBe(k % 2 === 0 ? 7 : 9);
  });

  it('backward copies with STD, SCASB/CMPSB with REPNE/REPE, LODS', () => {
    const m = run(
      `mov $${DATA_BASE + 100}, %rdi\nmovl $0x64636261, (%rdi)\nmovb $0, 4(%rdi)\nmov $-1, %rcx\nxor %eax, %eax\nrepne scasb\nnot %rcx\ndec %rcx\nmov %rcx, %r8\n` +
        `mov $${DATA_BASE + 100}, %rsi\nmov $${DATA_BASE + 200}, %rdi\nmovl $0x64636261, (%rdi)\nmovb $0x78, 3(%rdi)\nmov $4, %ecx\nrepe cmpsb\nmov %rcx, %r9\n` +
        `mov $${DATA_BASE + 103}, %rsi\nmov $${DATA_BASE + 303}, %rdi\nmov $4, %ecx\nstd\nrep movsb\ncld\nmov $${DATA_BASE + 300}, %rsi\nlodsl`,
    );
    expect(r(m, R8)).toBe(4n);
    expect(r(m, R9)).toBe(0n);
    expect(r(m, RAX)).toBe(0x64636261n);
  });

  it('a fault in the middle of REP STOSB leaves RCX/RDI at the completed part', () => {
    const { m, stop } = runAsm('mov $0x3ff0, %rdi\nmov $0x100, %ecx\nmov $1, %al\nrep stosb\n', (mm) => {
      mm.mem.view.setUint32(0x8000 + 4 * 8, 0, true); // unmap 0x4000
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(14);
    expect(m.cpu.stopInfo.address).toBe(0x4000n);
    expect(r(m, RCX)).toBe(0x100n - 0x10n);
    expect(r(m, RDI)).toBe(0x4000n);
  });

  it('IN/OUT and REP OUTSB reach the I/O bus', () => {
    const m = run(`mov $0x500, %dx\nmov $0x12345678, %eax\nout %eax, %dx\nout %al, $0x80\nin $0x60, %al\nmov %eax, %ebx\nmovl $0x636261, ${DATA_BASE}\nmov $${DATA_BASE}, %rsi\nmov $3, %ecx\nrep outsb`, (mm) => {
      mm.io.inputs.set(0x60, 0x5a);
    });
    expect(m.io.out.slice(0, 2)).toEqual([
      { port: 0x500, size: 4, value: 0x12345678 },
      { port: 0x80, size: 1, value: 0x78 },
    ]);
    expect(r(m, RBX)).toBe(0x1234565an);
    expect(m.io.out.slice(2).map((o) => o.value)).toEqual([0x61, 0x62, 0x63]);
  });
});

describe('system instructions', () => {
  it('SYSRETQ to CPL 3 and SYSCALL back (EFER.SCE, STAR/LSTAR/SFMASK)', () => {
    const user = DATA_BASE;
    const { m, stop } = runAsm(
      `mov $0xc0000081, %ecx\nxor %eax, %eax\nmov $0x00200008, %edx\nwrmsr\n` +
        `mov $0xc0000082, %ecx\nlea handler(%rip), %rax\nxor %edx, %edx\nwrmsr\n` +
        `mov $0xc0000084, %ecx\nmov $0x200, %eax\nwrmsr\n` +
        `mov $0xc0000080, %ecx\nrdmsr\nor $1, %eax\nwrmsr\n` +
        `mov $${user}, %rcx\nmov $0x202, %r11\nsysretq\n` +
        `handler:\nmov %cs, %ebx\nmov %ss, %esi\npushfq\npop %rdi\nhlt\n`,
      (mm) => {
        // User code: mov $5, %eax; mov %cs, %edx; syscall.
        mm.mem.u8.set([0xb8, 5, 0, 0, 0, 0x8c, 0xca, 0x0f, 0x05], user);
        // Let CPL 3 use the 2 MiB page at DATA_BASE (U/S at every level).
        for (const a of [0x2000, 0x3000, 0x4000 + 8]) mm.mem.view.setUint32(a, mm.mem.view.getUint32(a, true) | 4, true);
      },
    );
    expect(stop).toBe(StopReason.Halted);
    expect(r(m, RAX)).toBe(5n);
    expect(r(m, RDX)).toBe(0x33n);
    expect(r(m, RBX)).toBe(0x08n);
    expect(r(m, RSI)).toBe(0x10n);
    expect(r(m, RCX)).toBe(BigInt(user + 9));
    expect(m.cpu.getGpr(11) & 0x200n).toBe(0x200n);
    expect(r(m, RDI) & 0x200n).toBe(0n);
  });

  it('SYSCALL is #UD while EFER.SCE is clear (the hvt state)', () => {
    const { m, stop } = runAsm('syscall\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(6);
  });

  it('RDMSR/WRMSR, SWAPGS, unknown MSR #GP, CPUID, RDTSC monotonic, RDRAND', () => {
    const m = run(
      'mov $0xc0000102, %ecx\nmov $0x1000, %eax\nxor %edx, %edx\nwrmsr\nswapgs\nmov $0xc0000101, %ecx\nrdmsr\nmov %rax, %r8\n' +
        'xor %eax, %eax\ncpuid\nmov %rbx, %r9\nrdtsc\nshl $32, %rdx\nor %rax, %rdx\nmov %rdx, %r10\nrdtsc\nshl $32, %rdx\nor %rax, %rdx\nsub %r10, %rdx\nmov %rdx, %r11\nrdrand %rsi\nsetc %r12b',
    );
    expect(r(m, R8)).toBe(0x1000n);
    expect(r(m, R9)).toBe(0x646e6554n); // "Tend"
    expect(m.cpu.getGpr(11) > 0n).toBe(true);
    expect(m.cpu.getGpr(12)).toBe(1n);
    const { m: m2, stop } = runAsm('mov $0x12345, %ecx\nrdmsr\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m2.cpu.stopInfo.vector).toBe(13);
  });

  it('LGDT/SGDT/LIDT/SIDT, LTR marks the TSS busy, MOV CR', () => {
    const m = run(
      `sgdt ${DATA_BASE}\nmov ${DATA_BASE + 2}, %rax\nmov %cr0, %rbx\nmov %cr4, %rcx\nmov %cr3, %rdx\nmov %rdx, %cr3\n` +
        `movw $0x7ff, ${DATA_BASE + 16}\nmovq $0x5000, ${DATA_BASE + 18}\nlidt ${DATA_BASE + 16}\nsidt ${DATA_BASE + 32}\nmov ${DATA_BASE + 34}, %rsi\n` +
        `movb $0x89, 0x1000+0x18+5\nmov $0x18, %r9w\nltr %r9w\nstr %r8w`,
    );
    expect(r(m, RAX)).toBe(0x1000n);
    expect(r(m, RBX)).toBe(0x80010031n);
    expect(r(m, RCX)).toBe(0x620n);
    expect(r(m, RDX)).toBe(0x2000n);
    expect(r(m, RSI)).toBe(0x5000n);
    expect(m.mem.u8[0x1000 + 0x18 + 5]).toBe(0x8b);
    expect(r(m, R8) & 0xffffn).toBe(0x18n);
  });
});


