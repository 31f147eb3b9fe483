/**
 * The hand-off block in guest low memory (§2.6): `struct hvt_boot_info` at 0x10000, the manifest
 * copy right after it, then the NUL-terminated command line.
 */
import type { GuestMemory } from '../cpu/memory.js';
import {
  BI_CMDLINE, BI_CPU_CYCLE_FREQ, BI_GUEST_FEATURES, BI_HOST_FEATURES, BI_KERNEL_END, BI_MEM_SIZE, BI_MFT,
  BI_NET_RING, BOOT_INFO_SIZE, HVT_CMDLINE_SIZE, X86_BOOT_INFO_BASE,
} from './constants.js';
import { TenderError } from './errors.js';
import type { Manifest } from './manifest.js';

export interface BootInfo {
  memSize: number;
  kernelEnd: number;
  cpuCycleFreq: number;
  manifest: Manifest;
  cmdline: string;
}

export const MANIFEST_GPA = X86_BOOT_INFO_BASE + BOOT_INFO_SIZE;

/** Encodes the guest command line, or throws if it does not fit HVT_CMDLINE_SIZE. */
export function encodeCmdline(cmdline: string): Buffer {
  const bytes = Buffer.from(cmdline, 'utf8');
  if (bytes.length > HVT_CMDLINE_SIZE - 1) {
    throw new TenderError(`Guest command line too long (max=${HVT_CMDLINE_SIZE - 1} characters)`);
  }
  return bytes;
}

export function writeBootInfo(memory: GuestMemory, info: BootInfo): void {
  const cmdline = encodeCmdline(info.cmdline);
  const cmdlineGpa = MANIFEST_GPA + info.manifest.size;
  const v = memory.view;
  const b = X86_BOOT_INFO_BASE;
  v.setBigUint64(b + BI_MEM_SIZE, BigInt(info.memSize), true);
  v.setBigUint64(b + BI_KERNEL_END, BigInt(info.kernelEnd), true);
  v.setBigUint64(b + BI_CPU_CYCLE_FREQ, BigInt(info.cpuCycleFreq), true);
  v.setBigUint64(b + BI_CMDLINE, BigInt(cmdlineGpa), true);
  v.setBigUint64(b + BI_MFT, BigInt(MANIFEST_GPA), true);
  // No ring I/O is offered: the guest uses the NET_READ/NET_WRITE hypercalls.
  v.setUint32(b + BI_HOST_FEATURES, 0, true);
  v.setUint32(b + BI_GUEST_FEATURES, 0, true);
  v.setBigUint64(b + BI_NET_RING, 0n, true);
  memory.u8.set(info.manifest.bytes, MANIFEST_GPA);
  memory.u8.set(cmdline, cmdlineGpa);
  memory.u8[cmdlineGpa + cmdline.length] = 0;
  memory.written(b, cmdlineGpa + cmdline.length + 1 - b);
}
