#!/usr/bin/env node
/**
 * `tender`: runs a Solo5 hvt unikernel on the emulated CPU, with solo5-hvt's command line and
 * exit statuses. Every failure is one `tender: ...` line on stderr and a non-zero exit.
 */
import * as fs from 'node:fs';
import { Cpu } from '../cpu/cpu.js';
import { HVT_ABI_VERSION } from '../solo5-abi/constants.js';
import { TenderError } from '../solo5-abi/errors.js';
import { buildMachine } from './hvt-machine.js';
import { splitCommandLine, usage } from './options.js';

const PROGRAM = 'tender';

function say(fd: number, text: string): void {
  fs.writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
}

function diagnose(message: string): void {
  say(2, message.split('\n').map((line) => `${PROGRAM}: ${line}`).join('\n'));
}

function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tender' && pkg.version) return pkg.version;
    } catch {
      // try the next location (dist/src or src)
    }
  }
  return 'unknown';
}

async function main(argv: readonly string[]): Promise<number> {
  const cmd = splitCommandLine(argv);
  for (const opt of cmd.options) {
    if (opt === '--help') {
      say(1, await usage());
      return 0;
    }
    if (opt === '--version') {
      say(1, `${PROGRAM} ${version()}\nABI version ${HVT_ABI_VERSION}`);
      return 0;
    }
  }
  if (cmd.kernel === null) throw new TenderError('Missing KERNEL operand (see --help)');
  const machine = await buildMachine({
    kernel: cmd.kernel,
    options: cmd.options,
    guestArgs: cmd.guestArgs,
    createProcessor: (memory, io, options) => new Cpu(memory, io, options),
    warn: diagnose,
  });
  // A signal handler runs between CPU slices (or while the guest sleeps or waits for gdb), and
  // every guest write already reached its file, so the tender can stop right here.
  const onSignal = (signal: NodeJS.Signals) => {
    machine.close();
    diagnose(`Exiting on signal ${signal === 'SIGINT' ? 2 : 15}`);
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await machine.runLoop.run();
  } finally {
    machine.close();
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (error instanceof TenderError) {
      diagnose(error.message);
      process.exit(error.exitStatus);
    }
    diagnose(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
