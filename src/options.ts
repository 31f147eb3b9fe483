/**
 * The solo5-hvt compatible command line (§5): options come before KERNEL, everything after KERNEL
 * (or after `--`) is the guest's command line. The core options have one form each (`--gdb`,
 * `--NAME=VALUE`, the last occurrence wins); the module options carry a device name in the flag
 * itself (`--block:NAME=PATH`) and are applied to the manifest by the machine.
 */
import {
  DEFAULT_MEM_MIB, MFT_NAME_MAX, X86_GUEST_MAX_MEM_SIZE, X86_GUEST_PAGE_SIZE,
} from '../solo5-abi/constants.js';
import { TenderError } from '../solo5-abi/errors.js';

export interface CommandLine {
  /** Arguments before KERNEL (without a terminating `--`). */
  options: string[];
  kernel: string | null;
  guestArgs: string[];
}

export type ModuleKind = 'block' | 'block-sector-size' | 'net' | 'net-mac';

export interface ModuleOption {
  kind: ModuleKind;
  name: string;
  value: string;
  /** The argument as typed, for messages. */
  arg: string;
}

export interface TenderOptions {
  /** The last `--mem=` value as typed, or undefined for the default. */
  mem: string | undefined;
  dumpcore: string | undefined;
  gdb: boolean;
  gdbPort: number;
  gdbHost: string;
  modules: ModuleOption[];
}

export const DEFAULT_GDB_PORT = 1234;
export const DEFAULT_GDB_HOST = '127.0.0.1';

/** KERNEL is the first argument not starting with '-', or the one right after a literal `--`. */
export function splitCommandLine(argv: readonly string[]): CommandLine {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      return { options: argv.slice(0, i), kernel: argv[i + 1] ?? null, guestArgs: argv.slice(i + 2) };
    }
    if (!argv[i].startsWith('-')) {
      return { options: argv.slice(0, i), kernel: argv[i], guestArgs: argv.slice(i + 1) };
    }
  }
  return { options: [...argv], kernel: null, guestArgs: [] };
}

/** The help text, with every flag shown in the form it is typed. */
export async function usage(): Promise<string> {
  // Loaded only here: importing yargs costs ~50 ms of every start-up.
  const { default: yargs } = await import('yargs');
  return yargs([])
    .scriptName('tender')
    .usage('Usage: $0 [OPTIONS] [--] KERNEL [ARGS...]\n\n' +
      'Runs the Solo5 hvt unikernel KERNEL on an emulated x86-64 CPU (no KVM needed).\n' +
      'ARGS are passed to the unikernel as its command line.')
    .help(false)
    .version(false)
    .option('mem=MB', { describe: `Guest memory in MiB (default: ${DEFAULT_MEM_MIB}, at most 4096)` })
    .option('net:NAME=IFACE', { describe: 'Attach tap interface IFACE as the network device NAME' })
    .option('net-mac:NAME=HWADDR', { describe: 'MAC address of network device NAME (default: random)' })
    .option('block:NAME=PATH', { describe: 'Attach the file PATH as the block device NAME' })
    .option('block-sector-size:NAME=N', { describe: 'Sector size of block device NAME: a power of two, 512..32768 (default: 512)' })
    .option('dumpcore=DIR', { describe: 'Write an ELF core file into DIR when the guest aborts' })
    .option('gdb', { describe: 'Wait for a gdb connection before the first guest instruction' })
    .option('gdb-port=N', { describe: `TCP port of the gdb stub (default: ${DEFAULT_GDB_PORT})` })
    .option('gdb-host=ADDR', { describe: `Address the gdb stub listens on (default: ${DEFAULT_GDB_HOST})` })
    .option('help', { describe: 'Show this help and exit' })
    .option('version', { describe: 'Show the version and exit' })
    .epilog('Options must come before KERNEL; use -- before KERNEL if its name starts with "-".')
    .wrap(100)
    .getHelp();
}

const CORE_OPTION = /^--(mem|dumpcore|gdb-port|gdb-host)=(.*)$/s;
const MODULE_OPTION = /^--(block|block-sector-size|net|net-mac):([^=]*)=(.*)$/s;
const DEVICE_NAME = new RegExp(`^[A-Za-z0-9]{1,${MFT_NAME_MAX}}$`);

function invalidOption(arg: string): TenderError {
  return new TenderError(`Invalid option: \`${arg}'`);
}

/** Parses the options before KERNEL; throws `Invalid option` for anything not understood. */
export function parseOptions(options: readonly string[]): TenderOptions {
  const core: string[] = [];
  const modules: ModuleOption[] = [];
  for (const arg of options) {
    if (arg === '--gdb' || arg === '--help' || arg === '--version') {
      core.push(arg);
      continue;
    }
    const c = CORE_OPTION.exec(arg);
    if (c) {
      if (c[1] !== 'mem' && c[1] !== 'gdb-port' && c[2] === '') throw invalidOption(arg);
      core.push(arg);
      continue;
    }
    const m = MODULE_OPTION.exec(arg);
    if (!m || !DEVICE_NAME.test(m[2]) || !/^\S+$/.test(m[3])) throw invalidOption(arg);
    const kind = m[1] as ModuleKind;
    if (kind === 'block' && m[3].length > 4096) throw invalidOption(arg);
    modules.push({ kind, name: m[2], value: kind === 'net' ? m[3].slice(0, 19) : m[3], arg });
  }
  const parsed: Record<string, string | boolean> = {};
  for (const arg of core) {
    if (arg === '--gdb') parsed.gdb = true;
    else {
      const c = CORE_OPTION.exec(arg);
      // --help and --version are answered before the machine is built; here they are invalid.
      if (!c) throw invalidOption(core.join(' '));
      parsed[c[1]] = c[2];
    }
  }
  const gdbPortText = parsed['gdb-port'] as string | undefined;
  let gdbPort = DEFAULT_GDB_PORT;
  if (gdbPortText !== undefined) {
    if (!/^\d{1,5}$/.test(gdbPortText) || Number(gdbPortText) > 65535) throw new TenderError('Malformed argument to --gdb-port');
    gdbPort = Number(gdbPortText);
  }
  return {
    mem: parsed.mem as string | undefined,
    dumpcore: parsed.dumpcore as string | undefined,
    gdb: parsed.gdb === true,
    gdbPort,
    gdbHost: (parsed['gdb-host'] as string | undefined) ?? DEFAULT_GDB_HOST,
    modules,
  };
}

/**
 * `--mem=N` (§2.1): N MiB as a signed decimal with trailing junk ignored, computed in 64-bit
 * unsigned arithmetic like Solo5 (so negative values wrap), rounded down to 2 MiB, at least
 * 2 MiB, at most 4 GiB. `warn` receives the rounding notice before any limit error.
 */
export function memorySize(text: string | undefined, warn: (message: string) => void): number {
  let mib = BigInt(DEFAULT_MEM_MIB);
  if (text !== undefined) {
    const m = /^\s*([+-]?\d+)/.exec(text);
    if (!m || BigInt(m[1]) === 0n) throw new TenderError('Malformed argument to --mem');
    mib = BigInt(m[1]);
  }
  const requested = (mib << 20n) & ((1n << 64n) - 1n);
  let bytes = requested & ~BigInt(X86_GUEST_PAGE_SIZE - 1);
  if (bytes === 0n) bytes = BigInt(X86_GUEST_PAGE_SIZE);
  if (bytes !== requested) warn(`adjusting memory to ${bytes} bytes`);
  if (bytes > BigInt(X86_GUEST_MAX_MEM_SIZE)) {
    throw new TenderError(`guest memory size ${bytes} bytes exceeds the max size ${X86_GUEST_MAX_MEM_SIZE} bytes`);
  }
  return Number(bytes);
}
