/**
 * The JIT tier keeps the interpreter's architectural behaviour where single-instruction
 * differential cases cannot look: self-modifying code inside a block, faults in the middle of a
 * block, budgets that end inside a self-looping block, interrupts and the STI shadow, debugger
 * stops in hot code, one physical code page at several linear addresses, remapping the code
 * page under a running loop, privilege changes; then random code in lockstep.
 *
 * Each scenario runs on a machine that translates every block on first execution
 * (jitThreshold 1) and on one that only interprets (jitThreshold 0); registers, counts, stops
 * and all of memory must agree, and the JIT run must actually have executed the translated
 * block the scenario is about (the translator is wrapped to count block entries).
 */
import { describe, expect, it, vi } from 'vitest';
import type { JitBlock } from '../../cpu/jit/compile.js';
import {
  assemble,
  CODE_BASE,
  createMachine,
  DATA_BASE,
  load,
  PML4,
  PT0,
  R8,
  R9,
  R10,
  R11,
  R12,
  R13,
  R15,
  RAX,
  RBX,
  RCX,
  RDX,
  RSI,
  RSP,
  runUntilStop,
  setGate,
  StopReason,
  type Machine,
} from './long-mode-harness.js';

/** How often each translated block (by linear start address) was entered. */
const blockRuns = vi.hoisted(() => new Map<bigint, number>());

vi.mock('../../cpu/jit/compile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../cpu/jit/compile.js')>();
  const compileBlock: typeof real.compileBlock = (lo, hi, insnAt) => {
    const block: JitBlock = real.compileBlock(lo, hi, insnAt);
    const fn = block.fn;
    if (fn === null) return block;
    const at = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return new real.JitBlock(
      (c) => {
        blockRuns.set(at, (blockRuns.get(at) ?? 0) + 1);
        fn(c);
      },
      block.linPage,
      block.linHi,
    );
  };
  return { ...real, compileBlock };
});

/** Times the translated block starting at `linear` ran (since the last `blockRuns.clear()`). */
function ranTranslated(linear: number | bigint): number {
  return blockRuns.get(BigInt.asUintN(64, BigInt(linear))) ?? 0;
}

const HANDLER = 0x180000;
/** A 4 KiB page in the first 2 MiB (mapped through PT0) that tests unmap, protect or remap. */
const SPARE = 0x1f0000;
const SPARE2 = 0x1f1000;
const pteOf = (linear: number): number => PT0 + (linear >>> 12) * 8;

/** The architectural state two runs must agree on. */
function state(m: Machine): Record<string, unknown> {
  const c = m.cpu;
  return {
    gpr: Array.from({ length: 16 }, (_, k) => c.getGpr(k)),
    rip: c.getRip(),
    rflags: c.getRflags(),
    retired: c.instructionsRetired,
    cr2: c.getControl(2),
    cr3: c.getControl(3),
    fxsave: Buffer.from(c.getFxsave()).toString('hex'),
  };
}

interface Program {
  /** Main code, assembled and started at `org` (default CODE_BASE). */
  code: string;
  org?: number;
  /**
   * Threshold of the translated run (default 1). Near a page end the translator only takes
   * instructions the interpreter already decoded, so tests there need 2.
   */
  jitThreshold?: number;
  /** Interrupt/exception handlers: vector → source assembled at HANDLER + 0x1000 * k. */
  handlers?: Record<number, string>;
  setup?: (m: Machine) => void;
}

function build(p: Program, jitThreshold: number): Machine {
  const m = createMachine({ jitThreshold });
  const org = p.org ?? CODE_BASE;
  load(m, org, assemble(p.code, org));
  m.cpu.setRip(BigInt(org));
  let k = 0;
  for (const [vector, source] of Object.entries(p.handlers ?? {})) {
    const at = HANDLER + 0x1000 * k++;
    load(m, at, assemble(source, at));
    setGate(m, Number(vector), at);
  }
  p.setup?.(m);
  return m;
}

/**
 * Runs `p` translated and interpreted through `drive` (default: run until a stop); the logs
 * `drive` returns and the final states must be equal. Returns the translated machine and its log.
 */
function onBoth<T>(p: Program, drive: (m: Machine) => T = (m) => runUntilStop(m) as T): { m: Machine; log: T } {
  blockRuns.clear();
  const jit = build(p, p.jitThreshold ?? 1);
  const jitLog = drive(jit);
  const interp = build(p, 0);
  const interpLog = drive(interp);
  expect(jitLog).toEqual(interpLog);
  expect(state(jit)).toEqual(state(interp));
  expect(Buffer.compare(jit.mem.u8, interp.mem.u8)).toBe(0);
  return { m: jit, log: jitLog };
}

/** The address of `label` in `source` assembled at `org` (the image ends with it as data). */
function addressOf(source: string, label: string, org = CODE_BASE): number {
  const image = assemble(`${source}\n.data\n.quad ${label}\n`, org);
  return Number(new DataView(image.buffer, image.byteOffset + image.length - 8).getBigUint64(0, true));
}

const reg = (m: Machine, n: number): bigint => m.cpu.getGpr(n);
const q = (m: Machine, addr: number): bigint => m.mem.view.getBigUint64(addr, true);

describe('self-modifying code', () => {
  it('a store rewriting a later instruction of the same block takes effect (inline store, read-modify-write, string store)', () => {
    const code = `
      movl $2, p1+1(%rip)
      p1: mov $1, %ebx
      addl $5, p2+1(%rip)
      p2: mov $1, %ecx
      lea p3+1(%rip), %rdi
      mov $9, %al
      stosb
      p3: mov $1, %edx
      hlt`;
    const { m, log } = onBoth({ code });
    expect(log).toBe(StopReason.Halted);
    expect([reg(m, RBX), reg(m, RCX), reg(m, RDX)]).toEqual([2n, 6n, 9n]);
    expect(m.cpu.instructionsRetired).toBe(9);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('a self-looping block rewriting its own next instruction each pass executes every new version', () => {
    const code = `
      mov $10, %ecx
      xor %eax, %eax
      top: mov %ecx, ins+1(%rip)
      ins: mov $0, %ebx
      add %ebx, %eax
      dec %ecx
      jnz top
      hlt`;
    const { m } = onBoth({ code });
    expect(reg(m, RAX)).toBe(55n);
    // The first pass runs in the block that starts at the entry; each store ends the pass.
    expect(ranTranslated(addressOf(code, 'top'))).toBe(9);
  });

  it('a self-looping block rewriting an earlier instruction sees the change on the next pass', () => {
    const code = `
      mov $10, %ecx
      xor %eax, %eax
      top: mov $0, %ebx
      add %ebx, %eax
      mov %ecx, top+1(%rip)
      dec %ecx
      jnz top
      hlt`;
    const { m } = onBoth({ code });
    expect(reg(m, RAX)).toBe(54n);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(0);
  });

  it('a long-running self-loop that patches its own code on one pass switches to the new code at once', () => {
    // The store goes to data on every pass but one; on that pass it rewrites the immediate of
    // the next instruction, which must already execute in its new form.
    const code = `
      mov $100, %ecx
      xor %eax, %eax
      lea ins+1(%rip), %rdi
      mov $${DATA_BASE}, %rdx
      top: mov %rdx, %rsi
      cmp $50, %ecx
      cmove %rdi, %rsi
      movl $5, (%rsi)
      ins: mov $1, %ebx
      add %ebx, %eax
      dec %ecx
      jnz top
      hlt`;
    const { m } = onBoth({ code });
    expect(reg(m, RAX)).toBe(50n + 50n * 5n);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(0);
    // 50 passes inside one call of the block, then the patch ends the block.
    expect(ranTranslated(addressOf(code, 'top'))).toBeLessThan(50);
  });

  it('code rewritten through a second linear mapping of the same physical page takes effect', () => {
    // SPARE is made an alias of the code page; both stores go through it.
    const delta = SPARE - CODE_BASE;
    const code = `
      mov $10, %ecx
      xor %eax, %eax
      lea ins+1(%rip), %rdi
      add $${delta}, %rdi
      lea ins2+1(%rip), %rsi
      add $${delta}, %rsi
      movl $7, (%rdi)
      ins: mov $1, %edx
      top: mov %ecx, (%rsi)
      ins2: mov $0, %ebx
      add %ebx, %eax
      dec %ecx
      jnz top
      hlt`;
    const setup = (m: Machine): void => m.mem.view.setBigUint64(pteOf(SPARE), BigInt(CODE_BASE | 3), true);
    const { m } = onBoth({ code, setup });
    expect([reg(m, RDX), reg(m, RAX)]).toEqual([7n, 55n]);
    expect(m.mem.view.getUint32(addressOf(code, 'ins') + 1, true)).toBe(7);
    expect(ranTranslated(CODE_BASE)).toBe(1);
    expect(ranTranslated(addressOf(code, 'top'))).toBe(9);
  });

  it('a store rewriting code in a 2 MiB page takes effect', () => {
    const code = `
      movl $2, p1+1(%rip)
      p1: mov $1, %ebx
      mov $10, %ecx
      top: mov %ecx, p2+1(%rip)
      p2: mov $0, %edx
      add %edx, %eax
      dec %ecx
      jnz top
      hlt`;
    const org = 0x400000;
    const { m } = onBoth({ code, org });
    expect([reg(m, RBX), reg(m, RAX)]).toEqual([2n, 55n]);
    expect(ranTranslated(org)).toBe(1);
  });

  it('a loop across a page boundary rewriting the second-page bytes of an instruction that straddles it', () => {
    // Starts 13 bytes before the end of SPARE: the MOV EBX at `straddle` spans both pages.
    const code = `
      mov $10, %ecx
      top: add $1, %eax
      nop
      nop
      straddle: mov $1, %ebx
      add %ebx, %edx
      mov %cl, straddle+3(%rip)
      dec %ecx
      jnz top
      hlt`;
    const org = SPARE2 - 13;
    expect(addressOf(code, 'straddle', org)).toBe(SPARE2 - 3);
    const { m } = onBoth({ code, org, jitThreshold: 2 });
    expect(reg(m, RDX)).toBe(10n + 54n * 0x10000n);
    expect(ranTranslated(addressOf(code, 'top', org))).toBeGreaterThan(0);
  });

  it('a device writing code during a block (port I/O handler) ends the block before the stale code runs', () => {
    const code = `
      out %al, $0x80
      ins: mov $1, %ebx
      hlt`;
    const setup = (m: Machine): void => {
      m.io.onOut = () => {
        const at = addressOf(code, 'ins') + 1;
        m.mem.u8[at] = 8;
        m.mem.written(at, 1);
      };
    };
    const { m } = onBoth({ code, setup });
    expect(reg(m, RBX)).toBe(8n);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });
});

describe('faults inside a block', () => {
  /** #PF handler: error code to R8, faulting RIP to R9, CR2 to R10, then fixes RCX and returns. */
  const pfFixRcx = `
    pop %r8
    mov (%rsp), %r9
    mov %cr2, %r10
    mov $${DATA_BASE}, %rcx
    iretq`;

  it('#PF on the third instruction: frame RIP, earlier results, count, CR2, and the retry after IRETQ', () => {
    const code = `
      mov $1, %eax
      mov $2, %ebx
      fault: mov (%rcx), %rdx
      mov $3, %esi
      hlt`;
    const setup = (m: Machine): void => {
      m.cpu.setGpr(RCX, 0x10n);
      m.mem.view.setBigUint64(DATA_BASE, 0x1234n, true);
    };
    const drive = (m: Machine): unknown[] => {
      m.cpu.interceptExceptions = true;
      const first = m.cpu.run(1000);
      const held = {
        stop: first,
        vector: m.cpu.stopInfo.vector,
        errorCode: m.cpu.stopInfo.errorCode,
        rip: m.cpu.stopInfo.rip,
        address: m.cpu.stopInfo.address,
        retired: m.cpu.instructionsRetired,
        rax: reg(m, RAX),
        rbx: reg(m, RBX),
      };
      m.cpu.interceptExceptions = false;
      return [held, m.cpu.run(1000)];
    };
    const { m, log } = onBoth({ code, handlers: { 14: pfFixRcx }, setup }, drive);
    const fault = BigInt(addressOf(code, 'fault'));
    expect(log[0]).toEqual({ stop: StopReason.Exception, vector: 14, errorCode: 0, rip: fault, address: 0x10n, retired: 2, rax: 1n, rbx: 2n });
    expect(log[1]).toBe(StopReason.Halted);
    expect([reg(m, R8), reg(m, R9), reg(m, R10), m.cpu.getControl(2)]).toEqual([0n, fault, 0x10n, 0x10n]);
    expect([reg(m, RDX), reg(m, RSI)]).toEqual([0x1234n, 3n]);
    // mov, mov, (fault), 5 handler instructions, the retried mov, mov, hlt.
    expect(m.cpu.instructionsRetired).toBe(10);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('#PF on the sixth pass of a self-looping block: the handler maps the page in and the loop finishes', () => {
    const code = `
      mov $${SPARE - 5 * 8}, %rsi
      mov $10, %ecx
      xor %ebx, %ebx
      top: add (%rsi), %rbx
      add $8, %rsi
      dec %ecx
      jnz top
      hlt`;
    const handler = `
      pop %r8
      mov (%rsp), %r9
      mov %cr2, %r10
      mov %rcx, %r11
      mov %rbx, %r12
      orq $1, ${pteOf(SPARE)}
      iretq`;
    const setup = (m: Machine): void => {
      for (let k = 0; k < 10; k++) m.mem.view.setBigUint64(SPARE - 5 * 8 + k * 8, BigInt(k + 1), true);
      m.mem.view.setBigUint64(pteOf(SPARE), BigInt(SPARE | 2), true);
    };
    const { m, log } = onBoth({ code, handlers: { 14: handler }, setup });
    expect(log).toBe(StopReason.Halted);
    const top = addressOf(code, 'top');
    expect([reg(m, R8), reg(m, R9), reg(m, R10), reg(m, R11), reg(m, R12)]).toEqual([0n, BigInt(top), BigInt(SPARE), 5n, 15n]);
    expect(reg(m, RBX)).toBe(55n);
    // 3 + 10 passes of 4 + 7 handler instructions + hlt.
    expect(m.cpu.instructionsRetired).toBe(3 + 40 + 7 + 1);
    expect(ranTranslated(top)).toBeGreaterThan(0);
  });

  for (const [what, org] of [
    ['after a block that ends at the page end', SPARE2 - 8],
    ['on an instruction straddling into it', SPARE2 - 6],
  ] as const) {
    it(`instruction fetch #PF from a not-present next page ${what}; the handler maps it in`, () => {
      const code = `
        mov $1, %eax
        inc %ebx
        nop
        mov $2, %ecx
        hlt`;
      const handler = `
        pop %r8
        mov (%rsp), %r9
        mov %cr2, %r10
        orq $1, ${pteOf(SPARE2)}
        iretq`;
      // A first run with both pages present decodes the code; then the second page goes away.
      const drive = (m: Machine): unknown[] => {
        const first = m.cpu.run(1000);
        m.mem.view.setBigUint64(pteOf(SPARE2), BigInt(SPARE2 | 2), true);
        m.cpu.setControl(3, m.cpu.getControl(3));
        m.cpu.setRip(BigInt(org));
        m.cpu.interceptExceptions = true;
        const held = [m.cpu.run(1000), m.cpu.stopInfo.vector, m.cpu.stopInfo.rip, m.cpu.stopInfo.address, m.cpu.instructionsRetired];
        m.cpu.interceptExceptions = false;
        return [first, held, m.cpu.run(1000)];
      };
      const { m, log } = onBoth({ code, org, handlers: { 14: handler }, jitThreshold: 2 }, drive);
      const faultAt = org === SPARE2 - 8 ? SPARE2 : org + 5;
      const done = 5 + (org === SPARE2 - 8 ? 3 : 1);
      expect(log).toEqual([StopReason.Halted, [StopReason.Exception, 14, BigInt(faultAt), BigInt(SPARE2), done], StopReason.Halted]);
      expect([reg(m, R8), reg(m, R9), reg(m, R10), reg(m, RCX)]).toEqual([0n, BigInt(faultAt), BigInt(SPARE2), 2n]);
      expect(m.cpu.instructionsRetired).toBe(5 + 5 + 5);
      expect(ranTranslated(org)).toBe(1);
    });
  }

  it('#PF after an interpreted instruction earlier in the same block counts both', () => {
    const code = `
      mov $1, %eax
      bswap %eax
      adc $2, %ebx
      mov $3, %edx
      fault: mov (%rcx), %rsi
      hlt`;
    const setup = (m: Machine): void => {
      m.cpu.setGpr(RCX, 0x18n);
      m.mem.view.setBigUint64(DATA_BASE, 0x77n, true);
    };
    const { m } = onBoth({ code, handlers: { 14: pfFixRcx }, setup });
    expect([reg(m, R9), reg(m, R10), reg(m, RAX), reg(m, RBX), reg(m, RDX), reg(m, RSI)]).toEqual([
      BigInt(addressOf(code, 'fault')), 0x18n, 0x01000000n, 2n, 3n, 0x77n,
    ]);
    expect(m.cpu.instructionsRetired).toBe(4 + 5 + 2);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('a store to a host read-only page in a hot loop stops the run at that store (HostFault)', () => {
    const code = `
      mov $${SPARE - 16}, %rdi
      mov $8, %ecx
      top: mov %ecx, (%rdi)
      add $4, %rdi
      dec %ecx
      jnz top
      hlt`;
    const setup = (m: Machine): void => m.mem.protectReadOnly(SPARE, SPARE + 0x1000);
    const drive = (m: Machine): unknown[] => [m.cpu.run(1000), m.cpu.stopInfo.address, m.cpu.stopInfo.rip];
    const { m, log } = onBoth({ code, setup }, drive);
    const top = BigInt(addressOf(code, 'top'));
    expect(log).toEqual([StopReason.HostFault, BigInt(SPARE), top]);
    expect([m.cpu.getRip(), reg(m, RCX), m.cpu.instructionsRetired]).toEqual([top, 4n, 2 + 4 * 4]);
    expect(m.mem.view.getUint32(SPARE, true)).toBe(0);
    expect(ranTranslated(top)).toBeGreaterThan(0);
  });

  it('#DE from DIV in the middle of a block, and the retry', () => {
    const code = `
      mov $100, %eax
      xor %edx, %edx
      mov $7, %r15d
      fault: div %ecx
      mov %eax, %esi
      hlt`;
    const handler = `
      mov (%rsp), %r9
      mov $4, %ecx
      iretq`;
    const { m } = onBoth({ code, handlers: { 0: handler } });
    expect([reg(m, R9), reg(m, RAX), reg(m, RSI), reg(m, R15)]).toEqual([BigInt(addressOf(code, 'fault')), 25n, 25n, 7n]);
    expect(m.cpu.instructionsRetired).toBe(3 + 3 + 3);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('#GP(0) from a non-canonical load in the middle of a block', () => {
    const code = `
      mov $5, %eax
      movabs $0x8000000000000000, %rbx
      mov $6, %edx
      fault: mov (%rbx), %rcx
      hlt`;
    const handler = `
      pop %r8
      mov (%rsp), %r9
      mov $${DATA_BASE}, %rbx
      iretq`;
    const setup = (m: Machine): void => m.mem.view.setBigUint64(DATA_BASE, 0xabcdn, true);
    const { m } = onBoth({ code, handlers: { 13: handler }, setup });
    expect([reg(m, R8), reg(m, R9), reg(m, RAX), reg(m, RDX), reg(m, RCX)]).toEqual([0n, BigInt(addressOf(code, 'fault')), 5n, 6n, 0xabcdn]);
    expect(m.cpu.instructionsRetired).toBe(3 + 4 + 2);
  });

  it('#PF from a store to a read-only page in a hot loop: nothing of the store happens before the handler', () => {
    const code = `
      mov $${SPARE2 - 4 * 4}, %rdi
      mov $8, %ecx
      top: mov %ecx, (%rdi)
      add $4, %rdi
      dec %ecx
      jnz top
      hlt`;
    const handler = `
      pop %r8
      mov (%rsp), %r9
      mov %cr2, %r10
      mov %rcx, %r11
      orq $2, ${pteOf(SPARE2)}
      invlpg (%r10)
      iretq`;
    const setup = (m: Machine): void => m.mem.view.setBigUint64(pteOf(SPARE2), BigInt(SPARE2 | 1), true);
    const { m } = onBoth({ code, handlers: { 14: handler }, setup });
    expect([reg(m, R8), reg(m, R9), reg(m, R10), reg(m, R11)]).toEqual([3n, BigInt(addressOf(code, 'top')), BigInt(SPARE2), 4n]);
    const words = Array.from({ length: 8 }, (_, k) => m.mem.view.getUint32(SPARE2 - 16 + 4 * k, true));
    expect(words).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });
});

describe('indirect branches and returns', () => {
  /** #GP handler: error code to R8, faulting RIP to R9, RSP at the fault to R10, then stops. */
  const gpStop = `
    pop %r8
    mov (%rsp), %r9
    mov 24(%rsp), %r10
    hlt`;

  /** A loop over a table of functions: CALL/JMP through memory and registers, RET and RET imm16. */
  const calls = (ending: string): string => `
      lea table(%rip), %rbx
      xor %r12d, %r12d
      mov $1, %r13d
      top: mov %r12d, %ecx
      and $3, %ecx
      call *(%rbx,%rcx,8)
      lea f2(%rip), %rax
      call *%rax
      lea next(%rip), %rdx
      jmp *%rdx
      ud2
      next: push $7
      call drop8
      inc %r12
      cmp $50, %r12
      jb top
      tail: ${ending}
      hlt
      f0: add $1, %r13
      ret
      f1: add $10, %r13
      ret
      f2: imul $3, %r13, %r13
      ret
      f3: jmp *8(%rbx)
      drop8: ret $8
      .balign 8
      table: .quad f0, f1, f2, f3`;

  it('calls and jumps through memory and registers, and returns, agree with the interpreter', () => {
    const code = calls('');
    const { m, log } = onBoth({ code });
    expect(log).toBe(StopReason.Halted);
    expect(reg(m, R12)).toBe(50n);
    expect(reg(m, RSP)).toBe(BigInt((16 << 20) - 8));
    for (const label of ['f0', 'f1', 'f2', 'f3', 'drop8', 'next']) expect(ranTranslated(addressOf(code, label)), label).toBeGreaterThan(0);
  });

  for (const [what, ending] of [
    ['CALL through a register', 'movabs $0x800000000000, %rax\n      fault: call *%rax'],
    ['JMP through memory', 'movabs $0xffff7fffffffffff, %rax\n      mov %rax, (%rbx)\n      fault: jmp *(%rbx)'],
    ['RET', 'movabs $0x8000000000000000, %rax\n      push %rax\n      fault: ret $16'],
  ]) {
    it(`#GP(0) from ${what} to a non-canonical address: nothing pushed or popped`, () => {
      const code = calls(ending);
      const { m, log } = onBoth({ code, handlers: { 13: gpStop } });
      expect(log).toBe(StopReason.Halted);
      const rsp = BigInt((16 << 20) - 8) - (what === 'RET' ? 8n : 0n);
      expect([reg(m, R8), reg(m, R9), reg(m, R10)]).toEqual([0n, BigInt(addressOf(code, 'fault')), rsp]);
      expect(ranTranslated(addressOf(code, 'tail'))).toBe(1);
    });
  }
});

describe('signed division', () => {
  /** Dividend/divisor pairs at the edges of the translated fast step and beyond it. */
  const PAIRS: [bigint, bigint][] = [
    [100n, 7n], [-100n, 7n], [100n, -7n], [-100n, -7n], [-35n, 5n], [0n, -3n], [7n, 100n],
    [(1n << 53n) - 1n, 3n], [-(1n << 53n), 3n], [1n << 53n, 3n], [-(1n << 53n) - 1n, -3n],
    [(1n << 62n) + 12345n, 1000n], [-(1n << 63n), 7n], [123456789n, (1n << 52n) + 1n],
    [-(1n << 52n), -(1n << 53n)], [5n, (1n << 60n)], [-1n, -1n],
  ];
  const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

  it('IDIV r32 and r64 after CDQ/CQO agree with the interpreter, and #DE is raised where it must be', () => {
    const code = `
      mov $${DATA_BASE}, %rsi
      mov $${PAIRS.length}, %r12d
      top: mov (%rsi), %rax
      mov 8(%rsi), %rbx
      cqo
      idiv %rbx
      mov %rax, 16(%rsi)
      mov %rdx, 24(%rsi)
      mov (%rsi), %eax
      mov 8(%rsi), %ebx
      cdq
      idiv %ebx
      mov %rax, 32(%rsi)
      mov %rdx, 40(%rsi)
      add $48, %rsi
      dec %r12d
      jnz top
      mov $-2147483648, %eax
      mov $-1, %ebx
      cdq
      fault: idiv %ebx
      hlt`;
    // #DE (division overflow or by zero): quotient -1 as a mark, skip the IDIV (48 f7 fb or f7 fb).
    const handler = `
      mov (%rsp), %r9
      mov $-1, %rax
      cmpb $0x48, (%r9)
      jne 1f
      addq $1, (%rsp)
      1: addq $2, (%rsp)
      iretq`;
    const setup = (m: Machine): void => {
      PAIRS.forEach(([n, d], k) => {
        m.mem.view.setBigUint64(DATA_BASE + 48 * k, u64(n), true);
        m.mem.view.setBigUint64(DATA_BASE + 48 * k + 8, u64(d), true);
      });
    };
    const { m, log } = onBoth({ code, handlers: { 0: handler }, setup });
    expect(log).toBe(StopReason.Halted);
    expect(reg(m, R9)).toBe(BigInt(addressOf(code, 'fault')));
    PAIRS.forEach(([n, d], k) => {
      const at = DATA_BASE + 48 * k;
      const q64 = d === 0n || n / d >= 1n << 63n ? null : n / d;
      expect(q(m, at + 16), `${n} / ${d}`).toBe(q64 === null ? u64(-1n) : u64(q64));
      if (q64 !== null) expect(q(m, at + 24), `${n} % ${d}`).toBe(u64(n % d));
      const n32 = BigInt.asIntN(32, n);
      const d32 = BigInt.asIntN(32, d);
      const q32 = d32 === 0n || n32 / d32 >= 1n << 31n ? null : n32 / d32;
      expect(q(m, at + 32), `${n32} / ${d32}`).toBe(q32 === null ? u64(-1n) : BigInt.asUintN(32, q32));
      if (q32 !== null) expect(q(m, at + 40), `${n32} % ${d32}`).toBe(BigInt.asUintN(32, n32 % d32));
    });
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(0);
  });
});

describe('budgets and counting', () => {
  const loop = `
    mov $1000, %ecx
    xor %eax, %eax
    xor %ebx, %ebx
    top: add %ecx, %eax
    lea 3(%rbx,%rcx,2), %rbx
    dec %ecx
    jnz top
    hlt`;

  // The same loop with an instruction that runs through its interpreter handler (ADC).
  const mixed = loop.replace('dec %ecx', 'adc $0, %edx\n    dec %ecx');

  for (const [what, code, body] of [
    ['translated instructions only', loop, 4],
    ['an interpreted instruction in the body', mixed, 5],
  ] as const) {
    it(`a self-looping block stopped by the budget resumes exactly (${what})`, () => {
      blockRuns.clear();
      const jit = build({ code }, 1);
      const interp = build({ code }, 0);
      let slices = 0;
      for (;;) {
        const before = jit.cpu.instructionsRetired;
        const stop = jit.cpu.run(7);
        const done = jit.cpu.instructionsRetired - before;
        if (stop !== StopReason.BudgetExhausted) {
          expect(stop).toBe(StopReason.Halted);
          break;
        }
        slices++;
        // The block checks the budget once per pass: it ends less than one pass past it.
        expect(done).toBeGreaterThanOrEqual(7);
        expect(done).toBeLessThan(7 + body);
        // The interpreter stops exactly at the budget: bring it to the same count, compare.
        expect(interp.cpu.run(jit.cpu.instructionsRetired - interp.cpu.instructionsRetired)).toBe(StopReason.BudgetExhausted);
        expect(state(jit)).toEqual(state(interp));
      }
      expect(interp.cpu.run(1_000_000)).toBe(StopReason.Halted);
      expect(state(jit)).toEqual(state(interp));
      expect(slices).toBeGreaterThan(400);
      expect(reg(jit, RAX)).toBe(500500n);
      expect(jit.cpu.instructionsRetired).toBe(3 + 1000 * body + 1);
      expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(400);
    });
  }

  it('counts the same in one run as the interpreter', () => {
    const { m } = onBoth({ code: loop });
    expect(m.cpu.instructionsRetired).toBe(4004);
    expect(reg(m, RBX)).toBe(BigInt(1000 * 3 + 1000 * 1001));
  });

  it('run(1) still makes progress and ends in the same state', () => {
    const { log } = onBoth({ code: loop }, (m) => {
      let runs = 0;
      while (m.cpu.run(1) === StopReason.BudgetExhausted) runs++;
      return runs > 0;
    });
    expect(log).toBe(true);
  });
});

describe('interrupts', () => {
  /** ISR: logs the interrupted RIP at (R15), counts in R13. */
  const isr = `
    mov (%rsp), %r14
    mov %r14, (%r15)
    add $8, %r15
    inc %r13
    iretq`;
  const withIf = (m: Machine): void => {
    m.cpu.setRflags(0x202);
    m.cpu.setGpr(R15, BigInt(DATA_BASE));
  };

  it('an interrupt a device raises during a translated block is delivered right after the instruction that raised it', () => {
    const code = `
      mov $50, %ecx
      top: add $1, %eax
      out %al, $0x80
      after: add %eax, %ebx
      dec %ecx
      jnz top
      hlt`;
    const setup = (m: Machine): void => {
      withIf(m);
      m.io.onOut = (_port, _size, value) => {
        if (value % 10 === 0) m.cpu.raiseInterrupt(0x20);
      };
    };
    const { m } = onBoth({ code, handlers: { 0x20: isr }, setup });
    expect(reg(m, R13)).toBe(5n);
    const after = BigInt(addressOf(code, 'after'));
    expect(Array.from({ length: 5 }, (_, k) => q(m, DATA_BASE + 8 * k))).toEqual([after, after, after, after, after]);
    expect([reg(m, RAX), reg(m, RBX)]).toEqual([50n, 1275n]);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(0);
  });

  it('requestStop from a port handler inside a translated loop ends the run right after the OUT', () => {
    const code = `
      mov $30, %ecx
      top: add $1, %eax
      out %al, $0x80
      after: add %eax, %ebx
      dec %ecx
      jnz top
      hlt`;
    const setup = (m: Machine): void => {
      m.io.onOut = (_port, _size, value) => {
        if (value % 7 === 0) m.cpu.requestStop();
      };
    };
    const drive = (m: Machine): unknown[] => {
      const log: unknown[] = [];
      for (let s = m.cpu.run(1_000_000); ; s = m.cpu.run(1_000_000)) {
        log.push([s, m.cpu.getRip(), m.cpu.instructionsRetired]);
        if (s !== StopReason.Requested) return log;
      }
    };
    const { log } = onBoth({ code, setup }, drive);
    const after = BigInt(addressOf(code, 'after'));
    expect(log).toEqual([
      ...[7, 14, 21, 28].map((n) => [StopReason.Requested, after, 1 + 5 * (n - 1) + 2]),
      [StopReason.Halted, after + 7n, 1 + 5 * 30 + 1],
    ]);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(0);
  });

  it('interrupts raised between runs are taken at the block boundary where the run stopped', () => {
    const code = `
      mov $3000, %ecx
      top: add %ecx, %eax
      add %eax, %ebx
      dec %ecx
      jnz top
      hlt`;
    blockRuns.clear();
    const m = build({ code, handlers: { 0x20: isr }, setup: withIf }, 1);
    const stoppedAt: bigint[] = [];
    while (m.cpu.run(37) === StopReason.BudgetExhausted) {
      stoppedAt.push(m.cpu.getRip());
      m.cpu.raiseInterrupt(0x20);
    }
    expect(stoppedAt.length).toBeGreaterThan(100);
    expect(reg(m, R13)).toBe(BigInt(stoppedAt.length));
    expect(stoppedAt.map((_, k) => q(m, DATA_BASE + 8 * k))).toEqual(stoppedAt);
    const plain = build({ code }, 0);
    expect(runUntilStop(plain)).toBe(StopReason.Halted);
    expect([RAX, RBX, RCX].map((n) => reg(m, n))).toEqual([RAX, RBX, RCX].map((n) => reg(plain, n)));
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(100);
  });

  /** Runs until the program's final HLT, logging each stop with RIP, count and the ISR count. */
  const stops = (m: Machine): unknown[] => {
    const log: unknown[] = [];
    for (let k = 0; k < 4; k++) {
      const s = m.cpu.run(1000);
      log.push([s, m.cpu.getRip(), m.cpu.instructionsRetired, reg(m, R13)]);
      if (reg(m, RBX) === 2n) break;
    }
    return log;
  };
  const pendingWhileMasked = (m: Machine): void => {
    m.cpu.setGpr(R15, BigInt(DATA_BASE));
    m.cpu.raiseInterrupt(0x20);
  };

  it('sti; nop with an interrupt pending: taken after the NOP, not before', () => {
    const code = `
      mov $1, %eax
      sti
      nop
      after: mov $2, %ebx
      hlt`;
    const { m, log } = onBoth({ code, handlers: { 0x20: isr }, setup: pendingWhileMasked }, stops);
    expect(log).toEqual([[StopReason.Halted, BigInt(addressOf(code, 'after') + 6), 3 + 5 + 2, 1n]]);
    expect(q(m, DATA_BASE)).toBe(BigInt(addressOf(code, 'after')));
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('sti; hlt with an interrupt pending: the HLT completes, then the interrupt wakes it', () => {
    const code = `
      mov $1, %eax
      sti
      hlt
      after: mov $2, %ebx
      hlt`;
    const { m, log } = onBoth({ code, handlers: { 0x20: isr }, setup: pendingWhileMasked }, stops);
    const after = BigInt(addressOf(code, 'after'));
    expect(log).toEqual([
      [StopReason.Halted, after, 3, 0n],
      [StopReason.Halted, after + 6n, 3 + 5 + 2, 1n],
    ]);
    expect(q(m, DATA_BASE)).toBe(after);
    expect(ranTranslated(CODE_BASE)).toBe(1);
  });

  it('an interrupt pending while IF=0 does not stop a translated loop; STI in the loop takes it one instruction later', () => {
    const code = `
      mov $20, %ecx
      top: add $1, %eax
      cmp $10, %ecx
      jne skip
      sti
      add $1, %ebx
      skip: dec %ecx
      jnz top
      hlt`;
    const { m } = onBoth({ code, handlers: { 0x20: isr }, setup: pendingWhileMasked });
    expect(reg(m, R13)).toBe(1n);
    expect(q(m, DATA_BASE)).toBe(BigInt(addressOf(code, 'skip')));
    expect([reg(m, RAX), reg(m, RBX)]).toEqual([20n, 1n]);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(5);
  });
});

describe('guest trap flag', () => {
  it('POPF setting TF inside a translated loop traps after the next instruction, each instruction after that', () => {
    const code = `
      mov $${DATA_BASE}, %r15
      mov $10, %ecx
      top: add $1, %eax
      cmp $5, %ecx
      jne skip
      pushf
      orq $0x100, (%rsp)
      popf
      first: nop
      second: nop
      skip: dec %ecx
      jnz top
      hlt`;
    // #DB: logs the RIP, counts, and clears TF in the frame after the third trap.
    const handler = `
      push %rax
      mov 8(%rsp), %rax
      mov %rax, (%r15)
      add $8, %r15
      inc %r13
      cmp $3, %r13
      jb 1f
      andq $-257, 24(%rsp)
      1: pop %rax
      iretq`;
    const { m } = onBoth({ code, handlers: { 1: handler } });
    expect(reg(m, R13)).toBe(3n);
    expect([0, 1, 2].map((k) => q(m, DATA_BASE + 8 * k))).toEqual(['second', 'skip'].map((l) => BigInt(addressOf(code, l))).concat([BigInt(addressOf(code, 'skip') + 2)]));
    expect(reg(m, RAX)).toBe(10n);
    expect(ranTranslated(addressOf(code, 'top'))).toBeGreaterThan(3);
  });
});

describe('privilege changes', () => {
  it('a block translated at CPL 0 that reads a supervisor page faults when user code runs it (SYSRET/SYSCALL loop)', () => {
    const USER_STACK = 0x1e0000;
    const code = `
      mov $${USER_STACK + 0xff0}, %rsp
      mov $${SPARE}, %r15
      lea resume(%rip), %r14
      mov $20, %r12d
      round: call f
      lea user(%rip), %rcx
      mov $2, %r11
      sysretq
      user: call f
      syscall
      kernel: dec %r12d
      jnz round
      hlt
      f: mov (%r15), %rax
      add %rax, %rbx
      resume: ret`;
    // #PF: error code to R8, count in R13, resume at the RET of f (skipping the ADD).
    const handler = `
      pop %r8
      mov %r14, (%rsp)
      inc %r13
      iretq`;
    const setup = (m: Machine): void => {
      const v = m.mem.view;
      m.cpu.setMsr(0xc0000080, 0x501n);
      m.cpu.setMsr(0xc0000081, (0x20n << 48n) | (0x08n << 32n));
      m.cpu.setMsr(0xc0000082, BigInt(addressOf(code, 'kernel')));
      m.cpu.setMsr(0xc0000084, 0n);
      // User access to the code and the stack page; SPARE stays supervisor-only. Exception
      // delivery from CPL 3 reads the IDT, GDT and TSS and pushes on the RSP0 stack with CPL 3
      // permissions here (not as implicit supervisor accesses), so those pages are user too.
      const userPages = [CODE_BASE, USER_STACK, 0x1000, 0x9000, 0xb000, 0xf000];
      for (const e of [PML4, PML4 + 0x1000, PML4 + 0x2000, ...userPages.map(pteOf)]) v.setUint32(e, v.getUint32(e, true) | 4, true);
      v.setBigUint64(SPARE, 3n, true);
    };
    const { m, log } = onBoth({ code, handlers: { 14: handler }, setup });
    expect(log).toBe(StopReason.Halted);
    expect([reg(m, R13), reg(m, R8), reg(m, RBX)]).toEqual([20n, 5n, 60n]);
    expect(m.cpu.getSegment(1).selector).toBe(0x08);
    expect(ranTranslated(addressOf(code, 'f'))).toBeGreaterThan(0);
  });
});

describe('debugging hot code', () => {
  const loop = `
    mov $200, %ecx
    xor %eax, %eax
    mov $${DATA_BASE}, %rdi
    top: add %ecx, %eax
    store: mov %eax, (%rdi)
    after: lea 1(%rax,%rcx), %rdx
    decr: dec %ecx
    back: jnz top
    hlt`;
  const top = addressOf(loop, 'top');
  const store = addressOf(loop, 'store');
  const after = addressOf(loop, 'after');

  /** The translated machine after its loop ran hot, and an interpreter at the same count. */
  function warm(): { jit: Machine; interp: Machine } {
    blockRuns.clear();
    const jit = build({ code: loop }, 1);
    const interp = build({ code: loop }, 0);
    expect(jit.cpu.run(300)).toBe(StopReason.BudgetExhausted);
    expect(ranTranslated(top)).toBeGreaterThan(0);
    interp.cpu.run(jit.cpu.instructionsRetired);
    expect(state(jit)).toEqual(state(interp));
    return { jit, interp };
  }

  function finish(jit: Machine, interp: Machine): void {
    expect(jit.cpu.run(1_000_000)).toBe(StopReason.Halted);
    expect(interp.cpu.run(1_000_000)).toBe(StopReason.Halted);
    expect(state(jit)).toEqual(state(interp));
    expect(reg(jit, RAX)).toBe(20100n);
  }

  it('code the debugger patches (writeLinear) in the translated loop runs in its new form', () => {
    const { jit, interp } = warm();
    // ADD ECX, EAX (01 c8) becomes SUB ECX, EAX (29 c8).
    for (const m of [jit, interp]) expect(m.cpu.writeLinear(BigInt(top), new Uint8Array([0x29]))).toBe(true);
    const ecx = reg(jit, RCX);
    const eax = reg(jit, RAX);
    for (const m of [jit, interp]) expect(m.cpu.run(1_000_000)).toBe(StopReason.Halted);
    expect(state(jit)).toEqual(state(interp));
    // The passes still to run (ECX down to 1) now subtract.
    const rest = (ecx * (ecx + 1n)) / 2n;
    expect(reg(jit, RAX)).toBe((eax - rest) & 0xffffffffn);
  });

  it('a breakpoint inside the translated loop stops there, once per pass', () => {
    const { jit, interp } = warm();
    for (const m of [jit, interp]) m.cpu.addBreakpoint(BigInt(store));
    for (let pass = 0; pass < 3; pass++) {
      const before = jit.cpu.instructionsRetired;
      for (const m of [jit, interp]) {
        expect(m.cpu.run(1_000_000)).toBe(StopReason.Breakpoint);
        expect(m.cpu.getRip()).toBe(BigInt(store));
        expect(m.cpu.stopInfo.rip).toBe(BigInt(store));
      }
      expect(state(jit)).toEqual(state(interp));
      if (pass > 0) expect(jit.cpu.instructionsRetired - before).toBe(5);
      // At the breakpoint the ADD of this pass is done and its store is not.
      const ecx = Number(reg(jit, RCX));
      expect(reg(jit, RAX)).toBe(BigInt(((200 + ecx) * (200 - ecx + 1)) / 2));
      expect(q(jit, DATA_BASE) & 0xffffffffn).toBe(reg(jit, RAX) - BigInt(ecx));
    }
    for (const m of [jit, interp]) m.cpu.removeBreakpoint(BigInt(store));
    finish(jit, interp);
  });

  it('single-stepping through the translated loop stops after every instruction', () => {
    const { jit, interp } = warm();
    const order = [top, store, after, addressOf(loop, 'decr'), addressOf(loop, 'back')];
    for (const m of [jit, interp]) m.cpu.singleStep = true;
    for (let step = 0; step < 12; step++) {
      const rip = Number(jit.cpu.getRip());
      const before = jit.cpu.instructionsRetired;
      for (const m of [jit, interp]) expect(m.cpu.run(1_000_000)).toBe(StopReason.SingleStep);
      expect(jit.cpu.instructionsRetired).toBe(before + 1);
      expect(Number(jit.cpu.getRip())).toBe(order[(order.indexOf(rip) + 1) % order.length]);
      expect(state(jit)).toEqual(state(interp));
    }
    for (const m of [jit, interp]) m.cpu.singleStep = false;
    finish(jit, interp);
  });

  it('a write watchpoint in the translated loop stops right after the writing instruction', () => {
    const { jit, interp } = warm();
    for (const m of [jit, interp]) m.cpu.addWatchpoint(BigInt(DATA_BASE), 4, 'write');
    for (let pass = 0; pass < 3; pass++) {
      for (const m of [jit, interp]) {
        expect(m.cpu.run(1_000_000)).toBe(StopReason.Watchpoint);
        expect(m.cpu.getRip()).toBe(BigInt(after));
        expect(m.cpu.stopInfo.rip).toBe(BigInt(store));
        expect(m.cpu.stopInfo.address).toBe(BigInt(DATA_BASE));
        expect(m.cpu.stopInfo.watchKind).toBe('write');
        expect(q(m, DATA_BASE) & 0xffffffffn).toBe(reg(m, RAX));
      }
      expect(state(jit)).toEqual(state(interp));
    }
    for (const m of [jit, interp]) m.cpu.removeWatchpoint(BigInt(DATA_BASE), 4, 'write');
    finish(jit, interp);
  });
});

/**
 * Maps the 4 KiB page at `linear` to `phys` in the hierarchy at `cr3`, taking missing tables
 * from `alloc` (fresh zeroed pages).
 */
function mapPage(m: Machine, linear: bigint, phys: number, alloc: () => number, cr3 = PML4): void {
  let table = cr3;
  for (const shift of [39n, 30n, 21n]) {
    const slot = table + Number((linear >> shift) & 511n) * 8;
    let entry = q(m, slot);
    if ((entry & 1n) === 0n) {
      entry = BigInt(alloc() | 3);
      m.mem.view.setBigUint64(slot, entry, true);
    }
    if ((entry & 0x80n) !== 0n) throw new Error('mapPage: large page in the way');
    table = Number(entry & 0xffffffffff000n);
  }
  m.mem.view.setBigUint64(table + Number((linear >> 12n) & 511n) * 8, BigInt(phys | 3), true);
}

function tableAllocator(from: number): () => number {
  let next = from;
  return () => {
    const page = next;
    next += 0x1000;
    return page;
  };
}

describe('one physical code page at several linear addresses', () => {
  const HIGH = 0x7f0000100000n;
  /** Higher half: both address words negative as int32. */
  const KERNEL = 0xffff800080100000n;
  const code = `
    start: mov $20, %ecx
    top: lea top(%rip), %rax
    dec %ecx
    jnz top
    call sub
    back: jmp done
    ud2
    sub: mov (%rsp), %rbx
    ret
    done: lea start(%rip), %rsi
    hlt`;
  const offset = (label: string): bigint => BigInt(addressOf(code, label) - CODE_BASE);
  const aliases = (m: Machine): void => {
    const alloc = tableAllocator(0xc00000);
    mapPage(m, HIGH, CODE_BASE, alloc);
    mapPage(m, KERNEL, CODE_BASE, alloc);
    mapPage(m, BigInt(SPARE), CODE_BASE, alloc);
  };

  /** Runs the code from each base in turn; logs what it saw there. */
  const runFrom = (bases: bigint[]) => (m: Machine): unknown[] =>
    bases.map((base) => {
      m.cpu.setRip(base);
      m.cpu.setGpr(RSP, 0x800000n);
      return [m.cpu.run(1_000_000), m.cpu.getRip(), reg(m, RAX), reg(m, RBX), reg(m, RSI)];
    });

  for (const bases of [
    [BigInt(CODE_BASE), HIGH, KERNEL, BigInt(SPARE), BigInt(CODE_BASE)],
    [HIGH, BigInt(SPARE), KERNEL, BigInt(CODE_BASE), HIGH],
    [KERNEL, BigInt(CODE_BASE), KERNEL],
  ]) {
    it(`RIP-relative LEA, CALL and JMP use the executing address (${bases.map((b) => b.toString(16)).join(' → ')})`, () => {
      const { log } = onBoth({ code, setup: aliases }, runFrom(bases));
      expect(log).toEqual(
        bases.map((base) => [StopReason.Halted, base + offset('done') + 8n, base + offset('top'), base + offset('back'), base]),
      );
      expect(ranTranslated(bases[0] + offset('top'))).toBeGreaterThan(0);
    });
  }
});

describe('remapping the code page under a running loop', () => {
  /** The loop at SPARE; the copy at SPARE2 adds 100 instead of 1. */
  const loop = (imm: number, remap: string): string => `
    top: add $${imm}, %eax
    cmp $5, %ecx
    cmove %r11, %r8
    ${remap}
    dec %ecx
    jnz top
    hlt`;

  function loadBoth(m: Machine, remap: string): void {
    load(m, SPARE, assemble(loop(1, remap), SPARE));
    load(m, SPARE2, assemble(loop(100, remap), SPARE));
    m.cpu.setRip(BigInt(SPARE));
    m.cpu.setGpr(RCX, 10n);
  }

  it('INVLPG after rewriting the PTE: the next fetch comes from the new physical page', () => {
    const remap = 'mov %r8, (%r9)\ninvlpg (%r10)';
    const setup = (m: Machine): void => {
      loadBoth(m, remap);
      m.cpu.setGpr(R8, BigInt(SPARE | 3));
      m.cpu.setGpr(R9, BigInt(pteOf(SPARE)));
      m.cpu.setGpr(R10, BigInt(SPARE));
      m.cpu.setGpr(R11, BigInt(SPARE2 | 3));
    };
    const { m } = onBoth({ code: 'hlt', setup });
    expect(reg(m, RAX)).toBe(6n + 4n * 100n);
    expect(ranTranslated(SPARE)).toBeGreaterThan(0);
  });

  it('a CR3 reload to tables mapping the page elsewhere: the next fetch comes from the new physical page', () => {
    const setup = (m: Machine): void => {
      loadBoth(m, 'mov %r8, %cr3');
      // A second hierarchy, equal to the first except for SPARE → SPARE2.
      const second = 0xd00000;
      for (const [from, to] of [[PML4, second], [PML4 + 0x1000, second + 0x1000], [PML4 + 0x2000, second + 0x2000], [PT0, second + 0x3000]]) {
        m.mem.u8.copyWithin(to, from, from + 0x1000);
      }
      m.mem.view.setBigUint64(second, BigInt((second + 0x1000) | 3), true);
      m.mem.view.setBigUint64(second + 0x1000, BigInt((second + 0x2000) | 3), true);
      m.mem.view.setBigUint64(second + 0x2000, BigInt((second + 0x3000) | 3), true);
      m.mem.view.setBigUint64(second + 0x3000 + (SPARE >>> 12) * 8, BigInt(SPARE2 | 3), true);
      m.cpu.setGpr(R8, BigInt(PML4));
      m.cpu.setGpr(R11, BigInt(second));
    };
    const { m } = onBoth({ code: 'hlt', setup });
    expect(reg(m, RAX)).toBe(6n + 4n * 100n);
    expect(m.cpu.getControl(3)).toBe(0xd00000n);
    expect(ranTranslated(SPARE)).toBeGreaterThan(0);
  });
});

describe('random code, translated and interpreted in lockstep', () => {
  /** A small deterministic generator (numerical recipes LCG), one byte per call. */
  function bytes(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s >>> 24;
    };
  }

  /**
   * Straight-line segments of flag-setting integer instructions (translated inline or through
   * their handlers, on registers and on memory — some of it sharing a page with the code),
   * each followed by every condition as SETcc, a CMOVcc and a Jcc: the conditions a block
   * derives from the flags its own instructions left must match the interpreter's.
   */
  function flagProgram(seed: number, segments: number): string {
    const rnd = bytes(seed);
    const pick = <T,>(xs: readonly T[]): T => xs[rnd() % xs.length];
    const r64 = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'r10', 'r11', 'r12'];
    const r32 = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'r10d', 'r11d', 'r12d'];
    const r16 = ['ax', 'bx', 'cx', 'dx', 'si', 'r10w', 'r11w', 'r12w'];
    const r8 = ['al', 'bl', 'cl', 'dl', 'ah', 'bh', 'ch', 'dh'];
    const word = (): bigint => BigInt((rnd() << 24) | (rnd() << 16) | (rnd() << 8) | rnd()) & 0xffffffffn;
    const value = (): bigint =>
      pick([0n, 0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 0x100000000n, word(), (word() << 32n) | word(), BigInt(rnd())]);
    const imm32 = (): number => pick([0, 0, 0, 1, -1, 0x7fffffff, -0x80000000, 0x80, -0x80, 0x7f, rnd(), Number(word()) | 0]);
    const mem = (): string => `${pick([0, 4, 8, 12])}(${pick(['%r9', '%r8'])})`;
    const alu = ['add', 'or', 'and', 'sub', 'xor', 'cmp', 'test', 'adc', 'sbb'];
    const conds = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
    /** A width suffix and a register of that width. */
    const wide = (): [string, string] => (rnd() & 1 ? ['q', `%${pick(r64)}`] : ['l', `%${pick(r32)}`]);
    const producers: (() => string)[] = [
      () => { const [w, a] = wide(); const b = w === 'q' ? pick(r64) : pick(r32); return `${pick(alu)}${w} %${b}, ${a}`; },
      () => { const [w, a] = wide(); return `${pick(alu)}${w} $${imm32()}, ${a}`; },
      () => { const [w, a] = wide(); return `${pick(alu)}${w} ${mem()}, ${a}`; },
      () => { const [w, a] = wide(); return `${pick(alu)}${w} ${a}, ${mem()}`; },
      () => `${pick(alu)}${pick(['q', 'l'])} $${imm32()}, ${mem()}`,
      () => { const [w, a] = wide(); return `${pick(['inc', 'dec', 'neg', 'not'])}${w} ${a}`; },
      () => `${pick(['cmp', 'test', 'add', 'sub'])}b %${pick(r8.slice(0, 4))}, %${pick(r8)}`,
      () => `${pick(['cmp', 'test'])}b $${rnd() - 128}, %${pick(r8)}`,
      () => `cmpb $${rnd()}, ${mem()}`,
      () => `${pick(['cmp', 'add', 'sub', 'test'])}w %${pick(r16)}, %${pick(r16)}`,
      () => { const [w, a] = wide(); return `${pick(['shl', 'shr', 'sar', 'rol', 'ror'])}${w} $${1 + (rnd() % 31)}, ${a}`; },
      () => { const [w, a] = wide(); const b = w === 'q' ? pick(r64) : pick(r32); return `imul${w} %${b}, ${a}`; },
      () => `imull $${imm32()}, %${pick(r32)}, %${pick(r32)}`,
      () => `btq $${rnd() % 64}, %${pick(r64)}`,
      () => `lea 1(%${pick(r64)}), %${pick(r64)}`,
      () => `mov %${pick(r32)}, %${pick(r32)}`,
      () => pick(['stc', 'clc', 'cmc']),
      () => `${pick(alu)}w $${imm32() & 0xffff}, %${pick(r16)}`,
      () => `${pick(alu)}b $${rnd() - 128}, %${pick(r8)}`,
      () => `${pick(alu)}b %${pick(r8.slice(0, 4))}, ${mem()}`,
      () => { const [w, a] = wide(); return `${pick(['shl', 'shr', 'sar', 'rol', 'ror'])}${w} %cl, ${a}`; },
      () => { const [w, a] = wide(); const b = w === 'q' ? pick(r64) : pick(r32); return `${pick(['bsf', 'bsr', 'bt', 'bts', 'btr', 'btc'])}${w} %${b}, ${a}`; },
      () => `${pick(['inc', 'dec'])}${pick(['q', 'w', 'b'])} ${mem()}`,
      () => { const [w, a] = wide(); return `${pick(['mul', 'imul'])}${w} ${a}`; },
    ];
    const out = [
      'jmp start',
      '.balign 16',
      // Data on the code page: stores there take the handlers' slow path.
      'onpage: .quad 0x0123456789abcdef, 0xfedcba9876543210',
      'start:',
      'lea onpage(%rip), %r8',
      `mov $${DATA_BASE + 0x8000}, %r9`,
    ];
    for (let seg = 0; seg < segments; seg++) {
      for (const r of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'r10', 'r11', 'r12']) if (rnd() < 96) out.push(`movabs $${value()}, %${r}`);
      const n = 1 + (rnd() % 3);
      for (let k = 0; k < n; k++) out.push(pick(producers)());
      const slot = DATA_BASE + seg * 32;
      conds.forEach((cc, k) => out.push(`set${cc} ${slot + k}`));
      out.push(`cmov${pick(conds)} %${pick(r64)}, %${pick(r64)}`);
      out.push(`cmov${pick(conds)} %${pick(r32)}, %${pick(r32)}`);
      out.push(`j${pick(conds)} 1f`, 'inc %r15', '1:');
    }
    out.push('hlt');
    return out.join('\n');
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`flag producers and consumers inside blocks (seed ${seed})`, () => {
      const code = flagProgram(seed, 200);
      const setup = (m: Machine): void => {
        const rnd = bytes(seed * 77);
        for (let k = 0; k < 32; k++) m.mem.u8[DATA_BASE + 0x8000 + k] = rnd();
      };
      const drive = (m: Machine): unknown => [
        runUntilStop(m),
        Buffer.from(m.mem.u8.subarray(DATA_BASE, DATA_BASE + 200 * 32)).toString('hex'),
        Buffer.from(m.mem.u8.subarray(DATA_BASE + 0x8000, DATA_BASE + 0x8020)).toString('hex'),
        Buffer.from(m.mem.u8.subarray(CODE_BASE, CODE_BASE + 64)).toString('hex'),
      ];
      const { log } = onBoth({ code, setup }, drive);
      expect((log as unknown[])[0]).toBe(StopReason.Halted);
      expect([...blockRuns.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
    });
  }

  it('random bytes: every stop, register file and all of memory agree', () => {
    const rnd = bytes(0x5eed);
    blockRuns.clear();
    const [jit, interp] = [createMachine({ jitThreshold: 1 }), createMachine({ jitThreshold: 0 })];
    let executed = 0;
    for (let program = 0; program < 200; program++) {
      const code = new Uint8Array(256);
      for (let k = 0; k < code.length; k++) code[k] = rnd();
      const regs = Array.from({ length: 6 }, () => BigInt(DATA_BASE + rnd() * 64));
      for (const m of [jit, interp]) {
        load(m, CODE_BASE, code);
        [RAX, RBX, RCX, RDX, RSI, 7].forEach((r, k) => m.cpu.setGpr(r, regs[k]));
        m.cpu.setGpr(RSP, BigInt((16 << 20) - 0x1000));
        m.cpu.setRflags(0x2);
        m.cpu.setRip(BigInt(CODE_BASE));
        m.cpu.interceptExceptions = true;
      }
      for (let step = 0; step < 40; step++) {
        const before = jit.cpu.instructionsRetired;
        const stop = jit.cpu.run(2000);
        // The interpreter runs to the same count: exactly, or one more to reach the same stop.
        const lag = jit.cpu.instructionsRetired - interp.cpu.instructionsRetired;
        const interpStop = interp.cpu.run(stop === StopReason.BudgetExhausted ? lag : lag + 1);
        expect([program, step, interpStop]).toEqual([program, step, stop]);
        expect(state(jit)).toEqual(state(interp));
        expect(jit.cpu.stopInfo).toEqual(interp.cpu.stopInfo);
        executed += jit.cpu.instructionsRetired - before;
        if (stop === StopReason.Exception) {
          for (const m of [jit, interp]) {
            m.cpu.discardPendingException();
            m.cpu.setRip(m.cpu.stopInfo.rip + 1n);
          }
        } else if (stop === StopReason.Halted || stop === StopReason.BudgetExhausted || stop === StopReason.Requested) {
          for (const m of [jit, interp]) m.cpu.setRip(m.cpu.getRip() + 1n);
        } else break;
        const rip = Number(jit.cpu.getRip());
        if (rip < CODE_BASE || rip >= CODE_BASE + code.length) break;
      }
      expect(Buffer.compare(jit.mem.u8, interp.mem.u8)).toBe(0);
    }
    expect(executed).toBeGreaterThan(1000);
    expect([...blockRuns.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });
});
