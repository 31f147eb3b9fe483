/**
 * End to end: the real gdb drives the real tender running sample guests (built with -g), mostly
 * `gdbtarget`.
 * Needs `npm run build` (dist/src/cli.js), `npm run samples` and gdb on PATH; each missing piece
 * fails the test with a message saying what to do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist/src/cli.js');
const SAMPLES = path.join(REPO, 'samples/build');
const KERNEL = path.join(SAMPLES, 'gdbtarget.hvt');
const SOURCE = path.join(REPO, 'samples/gdbtarget.c');
/** Ports 12343..12349 in turn (the protocol tests use 12340..12342); a finished tender frees its port. */
const PORTS = { first: 12343, count: 7 };
/** Kills a wedged session so that a bug shows up as a failure, not as a hung test run. */
const HANG_LIMIT_MS = 90_000;

let sessions = 0;
function nextPort(): number {
  return PORTS.first + (sessions++ % PORTS.count);
}
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function requirePrerequisites(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  if (!fs.existsSync(KERNEL)) throw new Error(`${KERNEL} is missing: run \`npm run samples\` first`);
  if (spawnSync('gdb', ['--version']).status !== 0) throw new Error('gdb is not installed (apt-get install -y gdb)');
}

/** Line number of the source line tagged `// LINE:<tag>` in gdbtarget.c. */
function taggedLine(tag: string): number {
  const lines = fs.readFileSync(SOURCE, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(`// LINE:${tag}`));
  if (index < 0) throw new Error(`no line tagged ${tag} in ${SOURCE}`);
  return index + 1;
}

function lineContaining(text: string): number {
  const index = fs.readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`no line containing ${text} in ${SOURCE}`);
  return index + 1;
}

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

class Child {
  stdout = '';
  stderr = '';
  readonly done: Promise<Finished>;

  constructor(readonly process: ChildProcess) {
    children.push(process);
    process.stdout!.setEncoding('latin1').on('data', (s: string) => (this.stdout += s));
    process.stderr!.setEncoding('latin1').on('data', (s: string) => (this.stderr += s));
    const limit = setTimeout(() => process.kill('SIGKILL'), HANG_LIMIT_MS);
    this.done = new Promise((resolve) => {
      process.on('close', (status) => {
        clearTimeout(limit);
        resolve({ status, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves once `text` has appeared on stdout or stderr; fails if the process ends first. */
  async waitFor(text: string): Promise<void> {
    let ended = false;
    void this.done.then(() => (ended = true));
    while (!(this.stdout + this.stderr).includes(text)) {
      if (ended) throw new Error(`process ended before printing ${JSON.stringify(text)}:\n${this.stdout}${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

interface Session {
  tender: Child;
  gdb: Child;
}

/** Starts the tender waiting for gdb, then gdb in batch mode running `commands` against it. */
async function debug(commands: string[], guestArgs: string[] = [], kernel = KERNEL): Promise<Session> {
  requirePrerequisites();
  const port = nextPort();
  const tender = new Child(spawn(process.execPath, [CLI, '--gdb', `--gdb-port=${port}`, kernel, ...guestArgs]));
  await tender.waitFor(`tender: waiting for gdb: gdb --ex="target remote 127.0.0.1:${port}" ${kernel}`);
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  const gdb = new Child(spawn('gdb', [...args, kernel]));
  return { tender, gdb };
}

async function finish(session: Session): Promise<{ tender: Finished; gdb: Finished }> {
  const [tender, gdb] = await Promise.all([session.tender.done, session.gdb.done]);
  return { tender, gdb };
}

/** The frames of the first `bt` in gdb's output, innermost first. */
function backtraceFunctions(output: string): string[] {
  return [...output.matchAll(/^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(/gm)].map((m) => m[1]);
}

describe('gdb end to end (real gdb, real tender, sample guests)', () => {
  it('stops at a function breakpoint with a symbolic backtrace, finishes it and runs to the exit', async () => {
    const { tender, gdb } = await finish(await debug(['break level_three', 'continue', 'bt', 'finish', 'continue']));
    expect(gdb.stdout).toMatch(new RegExp(`Breakpoint 1, level_three \\(depth=3\\) at .*gdbtarget\\.c:${taggedLine('deepest')}`));
    // Below guest_main come the runtime's start-up frames.
    expect(backtraceFunctions(gdb.stdout).slice(0, 5)).toEqual(['level_three', 'level_two', 'level_one', 'run_chain', 'guest_main']);
    // finish (batch mode prints no "Run till exit") shows the caller's frame and the value.
    expect(gdb.stdout).toMatch(/^level_two \(depth=1\) at .*gdbtarget\.c:\d+\n.*\nValue returned is \$\d+ = 6$/m);
    expect(gdb.stdout).toContain('[Inferior 1 (Remote target) exited normally]');
    expect(tender.stdout).toContain('chain=6');
    expect(tender.stdout).toContain('SUCCESS');
    expect(tender.status).toBe(0);
  });

  it('steps into calls with step, over lines with next, and out with finish', async () => {
    const callLine = lineContaining('return level_three(depth + 2);');
    const { gdb, tender } = await finish(await debug(['break run_chain', 'continue', 'step', 'step', 'next', 'finish', 'continue']));
    expect(gdb.stdout).toMatch(/Breakpoint 1, run_chain \(\) at .*gdbtarget\.c:\d+/);
    expect(gdb.stdout).toMatch(/^level_one \(depth=0\) at .*gdbtarget\.c:\d+/m);
    expect(gdb.stdout).toMatch(new RegExp(`^level_two \\(depth=1\\) at .*gdbtarget\\.c:${callLine}$`, 'm'));
    // `next` on the call line runs level_three without stopping in it, to level_two's closing brace.
    expect(gdb.stdout).toMatch(new RegExp(`^${callLine + 1}\\t}$`, 'm'));
    expect(gdb.stdout).not.toMatch(/^level_three \(/m);
    // finish returns to level_one with level_two's value.
    expect(gdb.stdout).toMatch(/^level_one \(depth=0\) at .*\n.*\nValue returned is \$\d+ = 6$/m);
    expect(tender.status).toBe(0);
  });

  it('prints a variable and changes it, and the guest prints the changed value', async () => {
    const { gdb, tender } = await finish(await debug(['break report_answer', 'continue', 'print gdb_answer',
      'set var gdb_answer = 1234', 'print gdb_answer', 'continue']));
    expect(gdb.stdout).toMatch(/\$1 = 41/);
    expect(gdb.stdout).toMatch(/\$2 = 1234/);
    expect(tender.stdout).toContain('answer=1234');
    expect(tender.stdout).not.toContain('answer=41');
    expect(tender.status).toBe(0);
  });

  it('stops on a write watchpoint right after the store, with old and new values', async () => {
    const forLine = lineContaining('for (int i = 0; i < times; i++)');
    const { gdb, tender } = await finish(await debug(['break count_up', 'continue', 'watch gdb_counter', 'continue',
      'print gdb_counter', 'continue', 'delete', 'continue']));
    expect(gdb.stdout).toContain('Hardware watchpoint 2: gdb_counter');
    expect(gdb.stdout).toMatch(/Old value = 0\s+New value = 1\s/);
    expect(gdb.stdout).toMatch(/Old value = 1\s+New value = 2\s/);
    // The store is the last instruction of the increment line; x86 reports the watch after it,
    // at the loop's `i++`, which belongs to the `for` line.
    expect(gdb.stdout).toMatch(new RegExp(`count_up \\(times=10\\) at .*gdbtarget\\.c:${forLine}`));
    expect(tender.stdout).toContain('counter=10');
    expect(tender.status).toBe(0);
  });

  it('stops on a hardware breakpoint and on read and access watchpoints', async () => {
    // gdbtarget runs run_chain, then count_up, then report_answer.
    const { gdb, tender } = await finish(await debug(['hbreak level_three', 'continue', 'delete',
      'awatch gdb_counter', 'continue', 'delete', 'rwatch gdb_answer', 'continue', 'delete', 'continue']));
    expect(gdb.stdout).toContain('Hardware assisted breakpoint 1 at');
    expect(gdb.stdout).toMatch(/Breakpoint 1, level_three \(depth=3\)/);
    expect(gdb.stdout).toMatch(/Hardware access \(read\/write\) watchpoint 2: gdb_counter\s+Value = 0\s/);
    expect(gdb.stdout).toMatch(/count_up \(times=10\) at .*gdbtarget\.c:/);
    expect(gdb.stdout).toMatch(/Hardware read watchpoint 3: gdb_answer\s+Value = 41\s/);
    expect(gdb.stdout).toMatch(/report_answer \(\) at .*gdbtarget\.c:/);
    expect(tender.stdout).toContain('SUCCESS');
    expect(tender.status).toBe(0);
  });

  it('reads memory through the guest page tables and reports unmapped memory as inaccessible', async () => {
    const { gdb } = await finish(await debug(['break report_answer', 'continue', 'x/2dw &gdb_answer',
      'x/4xb 0x400000000', 'print *(int *)0x400000000', 'continue']));
    expect(gdb.stdout).toMatch(/<gdb_answer>:\s+41\s/);
    expect(gdb.stdout + gdb.stderr).toContain('Cannot access memory at address 0x400000000');
  });

  it('shows and changes SSE and x87 registers in info all-registers', async () => {
    const { gdb, tender } = await finish(await debug(['break count_up', 'continue',
      'set var $xmm1.v4_int32 = {0x11111111, 0x22222222, 0x33333333, 0x44444444}',
      'set var $st0 = 2.5',
      'info all-registers', 'print $xmm1.v4_int32', 'print $st0', 'print/x $rip', 'continue']));
    expect(gdb.stdout).toMatch(/^xmm1\s+\{.*v4_int32 = \{0x11111111, 0x22222222, 0x33333333, 0x44444444\}/m);
    expect(gdb.stdout).toMatch(/^xmm15\s+\{/m);
    expect(gdb.stdout).toMatch(/^mxcsr\s+0x[0-9a-f]+/m);
    expect(gdb.stdout).toMatch(/^fctrl\s+0x[0-9a-f]+/m);
    expect(gdb.stdout).toMatch(/^fs_base\s+0x[0-9a-f]+/m);
    expect(gdb.stdout).not.toContain('<unavailable>');
    expect(gdb.stdout).toMatch(/= \{286331153, 572662306, 858993459, 1145324612\}/);
    expect(gdb.stdout).toMatch(/= 2\.5\n/);
    expect(tender.status).toBe(0);
  });

  it('interrupts a spinning guest on Ctrl-C, lets gdb release it, and the guest finishes', async () => {
    const session = await debug(['continue', 'bt 1', 'set var gdb_release = 1', 'continue'], ['spin']);
    // The guest only runs once gdb has continued it, so gdb is now waiting for a stop.
    await session.tender.waitFor('spinning until gdb_release is set');
    session.gdb.process.kill('SIGINT');
    const { gdb, tender } = await finish(session);
    expect(gdb.stdout).toContain('Program received signal SIGINT, Interrupt.');
    expect(gdb.stdout).toMatch(/#0 .*wait_for_release \(\) at .*gdbtarget\.c:\d+/);
    expect(tender.stdout).toContain('released');
    expect(tender.stdout).toContain('SUCCESS');
    expect(tender.status).toBe(0);
  });

  it('interrupts a guest that sleeps in a yield', async () => {
    const session = await debug(['continue', 'bt', 'kill'], [], path.join(SAMPLES, 'time.hvt'));
    // After the first yield's report the guest is at once in the next one-second yield.
    await session.tender.waitFor('yield 1: slept');
    session.gdb.process.kill('SIGINT');
    const { gdb, tender } = await finish(session);
    expect(gdb.stdout).toContain('Program received signal SIGINT, Interrupt.');
    expect(backtraceFunctions(gdb.stdout)).toContain('guest_yield');
    expect(tender.stdout).not.toContain('yield 2');
    expect(tender.stderr).toContain('Debugger asked us to quit');
  });

  it.each([
    ['exception', 'SIGSEGV, Segmentation fault'],
    ['gp', 'SIGSEGV, Segmentation fault'],
    ['de', 'SIGFPE, Arithmetic exception'],
  ])('reports the guest exception of %s.hvt as a signal and delivers it on continue', async (name, signal) => {
    const kernel = path.join(SAMPLES, `${name}.hvt`);
    const { gdb, tender } = await finish(await debug(['continue', 'bt 1', 'continue'], [], kernel));
    expect(gdb.stdout).toContain(`Program received signal ${signal}.`);
    expect(gdb.stdout).toMatch(/#0 .*guest_main \(cmdline=.*\) at .*\.c:\d+/);
    // Without a debugger the runtime's trap handler aborts the guest: the same happens here.
    expect(tender.stdout + tender.stderr).toContain('ABORT');
    expect(tender.status).toBe(255);
  });

  it('throws a held exception away when gdb resumes without a signal, so the instruction faults again', async () => {
    const kernel = path.join(SAMPLES, 'exception.hvt');
    const { gdb, tender } = await finish(await debug(['continue', 'print/x $pc', 'signal 0', 'print/x $pc', 'continue'], [], kernel));
    const stops = gdb.stdout.match(/Program received signal SIGSEGV/g) ?? [];
    expect(stops.length).toBe(2);
    const pcs = [...gdb.stdout.matchAll(/^\$\d+ = (0x[0-9a-f]+)$/gm)].map((m) => m[1]);
    expect(pcs.length).toBe(2);
    expect(pcs[1]).toBe(pcs[0]);
    expect(tender.status).toBe(255);
  });

  it('detaches: breakpoints are gone and the guest finishes with its exit status', async () => {
    const { gdb, tender } = await finish(await debug(['break count_up', 'break report_answer', 'continue', 'detach']));
    expect(gdb.stdout).toMatch(/Breakpoint 1, count_up/);
    expect(gdb.stdout).toContain('[Inferior 1 (Remote target) detached]');
    expect(tender.stdout).toContain('answer=41');
    expect(tender.stdout).toContain('SUCCESS');
    expect(tender.status).toBe(0);
  });

  it('ends the tender on SIGINT while it waits for gdb to connect', async () => {
    requirePrerequisites();
    const port = nextPort();
    const tender = new Child(spawn(process.execPath, [CLI, '--gdb', `--gdb-port=${port}`, KERNEL]));
    await tender.waitFor('tender: waiting for gdb');
    tender.process.kill('SIGINT');
    const result = await tender.done;
    expect(result.stderr).toContain('Exiting on signal 2');
    expect(result.status).toBe(1);
  });

  it('ends the tender on SIGTERM while gdb holds it stopped', async () => {
    // Keep gdb busy in a shell (the guest stays stopped) until the tender has gone.
    const flag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tender-gdb-')), 'tender-gone');
    const session = await debug(['break count_up', 'continue', `shell while [ ! -e ${flag} ]; do sleep 0.05; done`]);
    await session.gdb.waitFor('Breakpoint 1, count_up');
    session.tender.process.kill('SIGTERM');
    const tender = await session.tender.done;
    fs.writeFileSync(flag, '');
    await session.gdb.done;
    fs.rmSync(path.dirname(flag), { recursive: true });
    expect(tender.stdout).not.toContain('counter=');
    expect(tender.stderr).toContain('Exiting on signal 15');
    expect(tender.status).toBe(1);
  });

  it('kill ends the tender', async () => {
    const { gdb, tender } = await finish(await debug(['break count_up', 'continue', 'kill']));
    expect(gdb.stdout).toContain('[Inferior 1 (Remote target) killed]');
    expect(tender.stdout).not.toContain('counter=');
    expect(tender.stderr).toContain('Debugger asked us to quit');
    expect(tender.status).not.toBe(0);
    expect(tender.status).not.toBeNull();
  });
});
