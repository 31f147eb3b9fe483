/**
 * The hvt hypercalls (§3): the guest writes the GPA of an argument struct to port 0x500 + nr with
 * a 32-bit OUT. One handler per hypercall number, registered only when its module is active.
 * Every guest pointer, length and handle is checked before it is used; a guest that breaks the
 * rules ends the tender (`fatal`), exactly where Solo5's tender would end it.
 */
import type { IoBus } from '../cpu/interface.js';
import { PAGE_HOST_READONLY, PAGE_SHIFT, type GuestMemory } from '../cpu/memory.js';
import type { BlockDevice } from '../devices/block.js';
import type { Console } from '../devices/console.js';
import { wallClockNs } from '../devices/clock.js';
import {
  HC_BLOCK_DATA, HC_BLOCK_HANDLE, HC_BLOCK_LEN, HC_BLOCK_OFFSET, HC_BLOCK_RET, HC_BLOCK_SIZE, HC_HALT_COOKIE,
  HC_HALT_SIZE, HC_HALT_STATUS, HC_NET_DATA, HC_NET_HANDLE, HC_NET_LEN, HC_NET_RET, HC_NET_SIZE, HC_POLL_READY_SET,
  HC_POLL_RET, HC_POLL_SIZE, HC_POLL_TIMEOUT, HC_PUTS_DATA, HC_PUTS_LEN, HC_PUTS_SIZE, HC_WALLTIME_SIZE,
  HVT_HALT_COOKIE_MAX, HVT_HYPERCALL_BLOCK_READ, HVT_HYPERCALL_BLOCK_WRITE, HVT_HYPERCALL_HALT,
  HVT_HYPERCALL_MAX, HVT_HYPERCALL_NET_READ, HVT_HYPERCALL_NET_WRITE, HVT_HYPERCALL_PIO_BASE,
  HVT_HYPERCALL_POLL, HVT_HYPERCALL_PUTS, HVT_HYPERCALL_WALLTIME, MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC,
  SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_OK,
} from './constants.js';
import { TenderError } from './errors.js';
import type { Manifest } from './manifest.js';

const TWO_32 = 4294967296;

/** What the hypercalls need from a network backend (a tap device). */
export interface NetPort {
  readonly fd: number;
  /** One frame into `buf`; 0 when none is queued. Throws on real errors. */
  read(buf: Uint8Array): number;
  /** One frame; throws Error('wrote only A out of B bytes') or an Error with the strerror text. */
  write(frame: Uint8Array): void;
}

/** The run loop's side of the hypercalls that cannot finish inside the OUT instruction. */
export interface HypercallHost {
  /** Nothing is ready and the guest is willing to wait: sleep, then call `completePoll`. */
  deferPoll(argGpa: number, timeoutNs: number): void;
  /** The guest halted; `cookieGpa` is 0 or a checked pointer to HVT_HALT_COOKIE_MAX bytes. */
  halt(status: number, cookieGpa: number): void;
  /** The guest broke a rule: end the tender with this message. */
  fatal(message: string): void;
  /** Net readiness: for each i, whether nets[i] has a frame queued (level-triggered). */
  readableNets(fds: readonly number[]): boolean[];
}

export interface HypercallDevices {
  console: Console;
  /** Indexed by manifest handle; null where the entry is not a block device. */
  blocks: ReadonlyArray<BlockDevice | null>;
  /** Indexed by manifest handle; null where the entry is not a net device. */
  nets: ReadonlyArray<NetPort | null>;
}

type Handler = (argGpa: number) => void;

export class Hypercalls implements IoBus {
  private readonly table: Array<Handler | null>;
  private readonly netHandles: number[] = [];
  private readonly netFds: number[] = [];
  /** The range of the block request blockRequest last accepted (valid only right after it). */
  private blockOffset = 0;
  private blockData = 0;
  private blockLen = 0;

  constructor(
    private readonly memory: GuestMemory,
    /** Guest-usable memory: every guest buffer must lie strictly below it. */
    private readonly memSize: number,
    private readonly manifest: Manifest,
    private readonly devices: HypercallDevices,
    private readonly host: HypercallHost,
  ) {
    devices.nets.forEach((net, handle) => {
      if (net) {
        this.netHandles.push(handle);
        this.netFds.push(net.fd);
      }
    });
    const hasBlock = devices.blocks.some((b) => b !== null);
    const hasNet = this.netHandles.length > 0;
    this.table = new Array<Handler | null>(HVT_HYPERCALL_MAX).fill(null);
    this.table[HVT_HYPERCALL_WALLTIME] = (gpa) => this.walltime(gpa);
    this.table[HVT_HYPERCALL_PUTS] = (gpa) => this.puts(gpa);
    this.table[HVT_HYPERCALL_POLL] = (gpa) => this.poll(gpa);
    if (hasBlock) {
      this.table[HVT_HYPERCALL_BLOCK_WRITE] = (gpa) => this.blockWrite(gpa);
      this.table[HVT_HYPERCALL_BLOCK_READ] = (gpa) => this.blockRead(gpa);
    }
    if (hasNet) {
      this.table[HVT_HYPERCALL_NET_WRITE] = (gpa) => this.netWrite(gpa);
      this.table[HVT_HYPERCALL_NET_READ] = (gpa) => this.netRead(gpa);
    }
    this.table[HVT_HYPERCALL_HALT] = (gpa) => this.halt(gpa);
  }

  /** Net device fds the POLL hypercall waits on, in the order of `readableNets`. */
  get pollFds(): readonly number[] {
    return this.netFds;
  }

  portOut(port: number, size: 1 | 2 | 4, value: number): void {
    const nr = port - HVT_HYPERCALL_PIO_BASE;
    if (size !== 4 || nr < 0 || nr >= HVT_HYPERCALL_MAX) {
      this.host.fatal(`Invalid guest port access: port=0x${port.toString(16)}`);
      return;
    }
    const handler = this.table[nr];
    if (handler === null) {
      this.host.fatal(`Invalid guest hypercall: num=${nr}`);
      return;
    }
    try {
      handler(value >>> 0);
    } catch (e) {
      this.host.fatal(e instanceof Error ? e.message : String(e));
    }
  }

  portIn(port: number): number {
    this.host.fatal(`Invalid guest port access: port=0x${port.toString(16)}`);
    return 0xffffffff;
  }

  /** Finishes a deferred POLL: the readiness now is the answer. */
  completePoll(argGpa: number): void {
    this.writePollResult(argGpa, this.host.readableNets(this.netFds));
  }

  // ---- guest memory access ----

  /**
   * Solo5's HVT_CHECKED_GPA_P: the range [gpa, gpa+size] must lie below memSize, so the last byte
   * of memory is never usable and even size 0 needs gpa < memSize. Returns gpa as a number.
   */
  private checked(gpaLo: number, gpaHi: number, sizeLo: number, sizeHi: number): number {
    if (gpaHi !== 0 || sizeHi !== 0 || gpaLo >= this.memSize || gpaLo + sizeLo >= this.memSize) {
      const gpa = (BigInt(gpaHi) << 32n) | BigInt(gpaLo);
      const size = (BigInt(sizeHi) << 32n) | BigInt(sizeLo);
      throw new TenderError(`Invalid guest access: gpa=0x${gpa.toString(16)}, sz=${size}`);
    }
    return gpaLo;
  }

  private struct(gpa: number, size: number): number {
    return this.checked(gpa, 0, size, 0);
  }

  private lo(gpa: number): number {
    return this.memory.view.getUint32(gpa, true);
  }

  private hi(gpa: number): number {
    return this.memory.view.getUint32(gpa + 4, true);
  }

  /** A u64 field as a double (exact below 2^53; larger values only need to compare as large). */
  private u64(gpa: number): number {
    return this.hi(gpa) * TWO_32 + this.lo(gpa);
  }

  /** Checks the buffer described by a pointer field and a length field of a struct. */
  private buffer(ptrField: number, lenField: number): number {
    return this.checked(this.lo(ptrField), this.hi(ptrField), this.lo(lenField), this.hi(lenField));
  }

  /**
   * Host-side W^X also binds the tender: reading device data into a read-only segment fails as
   * Solo5's pread/read into a PROT_READ mapping does (EFAULT), instead of bypassing it.
   */
  private checkWritable(gpa: number, len: number): void {
    if (len === 0) return;
    const flags = this.memory.pageFlags;
    for (let p = gpa >>> PAGE_SHIFT; p <= (gpa + len - 1) >>> PAGE_SHIFT; p++) {
      if (flags[p] & PAGE_HOST_READONLY) throw new TenderError('Fatal error when reading: Bad address');
    }
  }

  private setRet(gpa: number, value: number): void {
    this.memory.view.setInt32(gpa, value, true);
  }

  // ---- handlers ----

  private walltime(argGpa: number): void {
    const s = this.struct(argGpa, HC_WALLTIME_SIZE);
    this.memory.view.setBigUint64(s, wallClockNs(), true);
  }

  private puts(argGpa: number): void {
    const s = this.struct(argGpa, HC_PUTS_SIZE);
    const data = this.buffer(s + HC_PUTS_DATA, s + HC_PUTS_LEN);
    this.devices.console.write(this.memory.u8, data, this.lo(s + HC_PUTS_LEN));
  }

  private poll(argGpa: number): void {
    const s = this.struct(argGpa, HC_POLL_SIZE);
    const timeoutNs = this.u64(s + HC_POLL_TIMEOUT);
    const ready = this.host.readableNets(this.netFds);
    if (timeoutNs === 0 || ready.includes(true)) {
      this.writePollResult(s, ready);
    } else {
      this.host.deferPoll(s, timeoutNs);
    }
  }

  private writePollResult(s: number, ready: readonly boolean[]): void {
    let lo = 0;
    let hi = 0;
    let count = 0;
    for (let i = 0; i < ready.length; i++) {
      if (!ready[i]) continue;
      const h = this.netHandles[i];
      if (h < 32) lo |= 1 << h;
      else hi |= 1 << (h - 32);
      count++;
    }
    const v = this.memory.view;
    v.setUint32(s + HC_POLL_READY_SET, lo >>> 0, true);
    v.setUint32(s + HC_POLL_READY_SET + 4, hi >>> 0, true);
    v.setInt32(s + HC_POLL_RET, count, true);
  }

  /**
   * Common checks of BLOCK_READ/BLOCK_WRITE: the device, or null after which the caller sets
   * EINVAL. The checked range is left in blockOffset/blockData/blockLen (fields rather than a
   * returned object, so a block hypercall allocates nothing).
   */
  private blockRequest(s: number): BlockDevice | null {
    const handle = this.lo(s + HC_BLOCK_HANDLE);
    const device = handle < this.devices.blocks.length ? this.devices.blocks[handle] : null;
    if (!device || !this.manifest.isHandle(handle, MFT_DEV_BLOCK_BASIC)) return null;
    const lenHi = this.hi(s + HC_BLOCK_LEN);
    const len = this.u64(s + HC_BLOCK_LEN);
    const offset = this.u64(s + HC_BLOCK_OFFSET);
    const capacity = device.capacity;
    if (lenHi >= 0x80000000 || offset >= capacity || offset + len > capacity) return null;
    this.blockData = this.buffer(s + HC_BLOCK_DATA, s + HC_BLOCK_LEN);
    this.blockOffset = offset;
    this.blockLen = len;
    return device;
  }

  private blockWrite(argGpa: number): void {
    const s = this.struct(argGpa, HC_BLOCK_SIZE);
    const device = this.blockRequest(s);
    if (device === null) return this.setRet(s + HC_BLOCK_RET, SOLO5_R_EINVAL);
    device.write(this.memory.u8, this.blockData, this.blockLen, this.blockOffset);
    this.setRet(s + HC_BLOCK_RET, SOLO5_R_OK);
  }

  private blockRead(argGpa: number): void {
    const s = this.struct(argGpa, HC_BLOCK_SIZE);
    const device = this.blockRequest(s);
    if (device === null) return this.setRet(s + HC_BLOCK_RET, SOLO5_R_EINVAL);
    const data = this.blockData;
    const len = this.blockLen;
    this.checkWritable(data, len);
    device.read(this.memory.u8, data, len, this.blockOffset);
    this.memory.written(data, len);
    this.setRet(s + HC_BLOCK_RET, SOLO5_R_OK);
  }

  private netDevice(s: number): NetPort | null {
    const handle = this.lo(s + HC_NET_HANDLE);
    const net = handle < this.devices.nets.length ? this.devices.nets[handle] : null;
    return net && this.manifest.isHandle(handle, MFT_DEV_NET_BASIC) ? net : null;
  }

  private netWrite(argGpa: number): void {
    const s = this.struct(argGpa, HC_NET_SIZE);
    const net = this.netDevice(s);
    if (net === null) return this.setRet(s + HC_NET_RET, SOLO5_R_EINVAL);
    const data = this.buffer(s + HC_NET_DATA, s + HC_NET_LEN);
    try {
      net.write(this.memory.u8.subarray(data, data + this.lo(s + HC_NET_LEN)));
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      throw new TenderError(text.startsWith('wrote only') ? `Fatal error: ${text}` : `Fatal error when writing: ${text}`);
    }
    this.setRet(s + HC_NET_RET, SOLO5_R_OK);
  }

  private netRead(argGpa: number): void {
    const s = this.struct(argGpa, HC_NET_SIZE);
    const net = this.netDevice(s);
    if (net === null) return this.setRet(s + HC_NET_RET, SOLO5_R_EINVAL);
    const data = this.buffer(s + HC_NET_DATA, s + HC_NET_LEN);
    this.checkWritable(data, this.lo(s + HC_NET_LEN));
    let n: number;
    try {
      n = net.read(this.memory.u8.subarray(data, data + this.lo(s + HC_NET_LEN)));
    } catch (e) {
      throw new TenderError(`Fatal error when reading: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (n === 0) return this.setRet(s + HC_NET_RET, SOLO5_R_AGAIN);
    this.memory.written(data, n);
    this.memory.view.setUint32(s + HC_NET_LEN, n, true);
    this.memory.view.setUint32(s + HC_NET_LEN + 4, 0, true);
    this.setRet(s + HC_NET_RET, SOLO5_R_OK);
  }

  private halt(argGpa: number): void {
    const s = this.struct(argGpa, HC_HALT_SIZE);
    const cookieLo = this.lo(s + HC_HALT_COOKIE);
    const cookieHi = this.hi(s + HC_HALT_COOKIE);
    const cookie = cookieLo === 0 && cookieHi === 0 ? 0 : this.checked(cookieLo, cookieHi, HVT_HALT_COOKIE_MAX, 0);
    this.host.halt(this.memory.view.getInt32(s + HC_HALT_STATUS, true), cookie);
  }
}
