/**
 * Assembles an hvt machine in Solo5's start-up order (§1.1): check the executable's notes and
 * manifest, apply the command-line options (attaching devices), size and load guest memory, set
 * the boot CPU state, set up the modules, insist that every declared device is attached, write the
 * boot info, and hand back a run loop ready to start.
 */
import type { CpuOptions, IoBus, Processor } from '../cpu/interface.js';
import { GuestMemory } from '../cpu/memory.js';
import { BlockDevice } from '../devices/block.js';
import { Console } from '../devices/console.js';
import { setBootRegisters, writeBootTables } from '../firmware/hvt-boot.js';
import { encodeCmdline, writeBootInfo } from '../solo5-abi/boot-info.js';
import { MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC, SOLO5_EXIT_ABORT } from '../solo5-abi/constants.js';
import { ElfImage } from '../solo5-abi/elf.js';
import { TenderError } from '../solo5-abi/errors.js';
import { Hypercalls } from '../solo5-abi/hypercalls.js';
import { loadKernel } from '../solo5-abi/loader.js';
import { Manifest } from '../solo5-abi/manifest.js';
import { checkAbiNote, readManifestNote } from '../solo5-abi/notes.js';
import { checkDumpcoreDir, dumpCore } from './dumpcore.js';
import { loadGdbAgentFactory } from './gdb-hook.js';
import { loadNetBackend, type NetBackend, type Tap } from './net-backend.js';
import { memorySize, parseOptions, type ModuleOption, type TenderOptions } from './options.js';
import { RunLoop } from './run-loop.js';

/** The TSC rate announced in boot info and used by the CPU's RDTSC (a plausible 2.5 GHz). */
export const TSC_HZ = 2_500_000_000;
const DEFAULT_BLOCK_SIZE = 512;
const MAX_BLOCK_SIZE = 32768; // the manifest's block_size field is 16 bits

export type ProcessorFactory = (memory: GuestMemory, io: IoBus, options: CpuOptions) => Processor;

export interface MachineRequest {
  kernel: string;
  options: readonly string[];
  guestArgs: readonly string[];
  createProcessor: ProcessorFactory;
  /** Tender diagnostics that do not end the run. */
  warn: (message: string) => void;
}

export interface Machine {
  cpu: Processor;
  memory: GuestMemory;
  memSize: number;
  manifest: Manifest;
  runLoop: RunLoop;
  options: TenderOptions;
  /** Releases host resources (files, taps, the fd waiter). */
  close(): void;
}

interface Attachments {
  blocks: Array<BlockDevice | null>;
  nets: Array<Tap | null>;
  net: NetBackend | null;
}

function declared(manifest: Manifest, opt: ModuleOption, type: number): number {
  const index = manifest.find(opt.name, type);
  if (index < 0) throw new TenderError(`Resource not declared in manifest: '${opt.name}'`);
  return index;
}

/** Applies the module options in command-line order, as Solo5's option pass does. */
async function attachDevices(manifest: Manifest, modules: readonly ModuleOption[]): Promise<Attachments> {
  const a: Attachments = {
    blocks: new Array<BlockDevice | null>(manifest.entries).fill(null),
    nets: new Array<Tap | null>(manifest.entries).fill(null),
    net: null,
  };
  for (const opt of modules) {
    switch (opt.kind) {
      case 'block': {
        const index = declared(manifest, opt, MFT_DEV_BLOCK_BASIC);
        const device = BlockDevice.open(opt.value);
        a.blocks[index]?.close();
        a.blocks[index] = device;
        manifest.attachBlock(index, device.capacity, device.fd);
        break;
      }
      case 'block-sector-size': {
        const index = declared(manifest, opt, MFT_DEV_BLOCK_BASIC);
        const size = /^\d+$/.test(opt.value) ? Number(opt.value) : NaN;
        if (!(size >= DEFAULT_BLOCK_SIZE && size <= MAX_BLOCK_SIZE && (size & (size - 1)) === 0)) {
          throw new TenderError('Block size must be a multiple of 2 greater than or equal 512');
        }
        manifest.setBlockSize(index, size);
        break;
      }
      case 'net': {
        const index = declared(manifest, opt, MFT_DEV_NET_BASIC);
        a.net ??= await loadNetBackend();
        let tap: Tap;
        try {
          tap = a.net.openTap(opt.value);
        } catch (e) {
          throw new TenderError(`Could not attach interface: ${opt.value}: ${e instanceof Error ? e.message : String(e)}`);
        }
        a.nets[index]?.close();
        a.nets[index] = tap;
        manifest.attachNet(index, tap.mtu, tap.fd);
        break;
      }
      case 'net-mac': {
        const index = declared(manifest, opt, MFT_DEV_NET_BASIC);
        a.net ??= await loadNetBackend();
        const mac = a.net.parseMac(opt.value);
        if (mac === null) throw new TenderError(`Invalid option: \`${opt.arg}'`);
        manifest.setMac(index, mac);
        break;
      }
    }
  }
  const netCount = a.nets.filter((n) => n !== null).length;
  if (a.net !== null && netCount > a.net.maxNets) {
    throw new TenderError(`at most ${a.net.maxNets} network devices are supported (${netCount} attached)`);
  }
  return a;
}

/** Module set-up (§5.3): block sizes and capacity rules, generated MACs. */
function setUpDevices(manifest: Manifest, a: Attachments): void {
  a.blocks.forEach((device, index) => {
    if (device === null) return;
    let size = manifest.blockSize(index);
    if (size === 0) {
      size = DEFAULT_BLOCK_SIZE;
      manifest.setBlockSize(index, size);
    }
    const name = manifest.name(index);
    if (device.capacity % size !== 0) {
      throw new TenderError(`${name}: Backing storage size must be block aligned (${size} bytes)`);
    }
    if (device.capacity < size) {
      throw new TenderError(`${name}: Backing storage must be at least 1 block (${size} bytes) in size`);
    }
  });
  a.nets.forEach((tap, index) => {
    if (tap === null || a.net === null) return;
    if (manifest.mac(index).every((b) => b === 0)) manifest.setMac(index, a.net.randomMac());
  });
}

export async function buildMachine(req: MachineRequest): Promise<Machine> {
  const image = ElfImage.open(req.kernel);
  let a: Attachments | null = null;
  try {
    checkAbiNote(image);
    const manifest = Manifest.parse(readManifestNote(image));
    if (manifest === null) throw new TenderError(`${req.kernel}: Solo5 manifest is invalid`);
    const options = parseOptions(req.options);
    a = await attachDevices(manifest, options.modules);
    const memSize = memorySize(options.mem, req.warn);

    const memory = new GuestMemory(memSize);
    const loaded = loadKernel(image, memory, memSize);
    // Module set-up and the attachment rule come before the CPU exists: they need only the
    // manifest, and a misconfigured run should fail before any guest state is built.
    setUpDevices(manifest, a);
    const dumpDir = options.dumpcore;
    if (dumpDir !== undefined) checkDumpcoreDir(dumpDir);
    const unattached = manifest.unattachedMessages();
    if (unattached.length > 0) {
      throw new TenderError([...unattached, 'All declared devices must be attached. See --help for syntax.'].join('\n'));
    }
    const cmdline = req.guestArgs.join(' ');
    encodeCmdline(cmdline);
    const waiter = a.nets.some((n) => n !== null) && a.net !== null ? a.net.createWaiter() : null;
    const runLoop = new RunLoop({
      waiter,
      onHalt: (status, cookieGpa) => {
        if (dumpDir !== undefined && status === SOLO5_EXIT_ABORT) dumpCore(cpu, memSize, dumpDir, cookieGpa, req.warn);
      },
    });
    const hypercalls = new Hypercalls(memory, memSize, manifest, { console: new Console(), blocks: a.blocks, nets: a.nets }, runLoop);
    const cpu = req.createProcessor(memory, hypercalls, { tscHz: TSC_HZ });
    runLoop.bind(cpu, hypercalls);
    writeBootTables(memory, memSize);
    setBootRegisters(cpu, loaded.entry, memSize);

    if (options.gdb) {
      const createGdbAgent = await loadGdbAgentFactory();
      runLoop.setDebugAgent(createGdbAgent(cpu, runLoop, { host: options.gdbHost, port: options.gdbPort, kernelPath: req.kernel }));
    }
    writeBootInfo(memory, { memSize, kernelEnd: loaded.kernelEnd, cpuCycleFreq: TSC_HZ, manifest, cmdline });
    // Host-side W^X (Solo5's only enforcement); a debugger needs all memory writable.
    if (!options.gdb) for (const [start, end] of loaded.readOnlyRanges) memory.protectReadOnly(start, end);

    const attached = a;
    return {
      cpu, memory, memSize, manifest, runLoop, options,
      close: () => {
        waiter?.close();
        for (const b of attached.blocks) b?.close();
        for (const n of attached.nets) n?.close();
      },
    };
  } catch (e) {
    if (a !== null) {
      for (const b of a.blocks) b?.close();
      for (const n of a.nets) n?.close();
    }
    throw e;
  } finally {
    image.close();
  }
}
