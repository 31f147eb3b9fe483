/**
 * The Solo5 manifest (`struct mft`, §1.4): parsed from the MFT1 note, validated with Solo5's
 * rules, filled in by the device options, and finally copied verbatim into guest memory.
 */
import {
  MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC, MFT_ENTRY_ATTACHED, MFT_ENTRY_BLOCK_CAPACITY,
  MFT_ENTRY_BLOCK_SIZE, MFT_ENTRY_NET_MAC, MFT_ENTRY_NET_MTU, MFT_ENTRY_PRIVATE, MFT_ENTRY_SIZE,
  MFT_ENTRY_TYPE, MFT_HEADER_SIZE, MFT_MAX_ENTRIES, MFT_NAME_MAX, MFT_RESERVED_FIRST, MFT_VERSION,
} from './constants.js';

export class Manifest {
  private constructor(readonly bytes: Buffer, readonly entries: number) {}

  /** Validates `raw` as Solo5 does; null if any rule fails ("Solo5 manifest is invalid"). */
  static parse(raw: Buffer): Manifest | null {
    if (raw.length < MFT_HEADER_SIZE) return null;
    const version = raw.readUInt32LE(0);
    const entries = raw.readUInt32LE(4);
    if (version !== MFT_VERSION || entries > MFT_MAX_ENTRIES) return null;
    if (raw.length !== MFT_HEADER_SIZE + MFT_ENTRY_SIZE * entries || entries < 1) return null;
    const m = new Manifest(Buffer.from(raw), entries);
    if (m.type(0) !== MFT_RESERVED_FIRST || m.bytes[m.offset(0)] !== 0) return null;
    for (let i = 0; i < entries; i++) {
      if (m.bytes[m.offset(i) + MFT_NAME_MAX] !== 0 || m.bytes[m.offset(i) + MFT_ENTRY_ATTACHED] !== 0) return null;
    }
    return m;
  }

  get size(): number {
    return this.bytes.length;
  }

  private offset(index: number): number {
    return MFT_HEADER_SIZE + MFT_ENTRY_SIZE * index;
  }

  name(index: number): string {
    const o = this.offset(index);
    const end = this.bytes.indexOf(0, o);
    return this.bytes.toString('latin1', o, end);
  }

  type(index: number): number {
    return this.bytes.readUInt32LE(this.offset(index) + MFT_ENTRY_TYPE);
  }

  attached(index: number): boolean {
    return this.bytes[this.offset(index) + MFT_ENTRY_ATTACHED] !== 0;
  }

  /** Index of the entry with this name and type, or -1 (entry 0 is never a device). */
  find(name: string, type: number): number {
    for (let i = 1; i < this.entries; i++) {
      if (this.type(i) === type && this.name(i) === name) return i;
    }
    return -1;
  }

  /** The handle is the entry index; valid if it names an attached entry of `type`. */
  isHandle(handle: number, type: number): boolean {
    return handle < this.entries && this.type(handle) === type && this.attached(handle);
  }

  attachBlock(index: number, capacity: number, hostFd: number): void {
    const o = this.offset(index);
    this.bytes.writeBigUInt64LE(BigInt(capacity), o + MFT_ENTRY_BLOCK_CAPACITY);
    this.bytes.writeBigUInt64LE(BigInt(hostFd), o + MFT_ENTRY_PRIVATE);
    this.bytes[o + MFT_ENTRY_ATTACHED] = 1;
  }

  blockCapacity(index: number): number {
    return Number(this.bytes.readBigUInt64LE(this.offset(index) + MFT_ENTRY_BLOCK_CAPACITY));
  }

  blockSize(index: number): number {
    return this.bytes.readUInt16LE(this.offset(index) + MFT_ENTRY_BLOCK_SIZE);
  }

  setBlockSize(index: number, size: number): void {
    this.bytes.writeUInt16LE(size, this.offset(index) + MFT_ENTRY_BLOCK_SIZE);
  }

  attachNet(index: number, mtu: number, hostFd: number): void {
    const o = this.offset(index);
    this.bytes.writeUInt16LE(mtu & 0xffff, o + MFT_ENTRY_NET_MTU);
    this.bytes.writeBigUInt64LE(BigInt(hostFd), o + MFT_ENTRY_PRIVATE);
    this.bytes[o + MFT_ENTRY_ATTACHED] = 1;
  }

  mac(index: number): Uint8Array {
    const o = this.offset(index) + MFT_ENTRY_NET_MAC;
    return new Uint8Array(this.bytes.subarray(o, o + 6));
  }

  setMac(index: number, mac: Uint8Array): void {
    this.bytes.set(mac, this.offset(index) + MFT_ENTRY_NET_MAC);
  }

  mtu(index: number): number {
    return this.bytes.readUInt16LE(this.offset(index) + MFT_ENTRY_NET_MTU);
  }

  /** Solo5's lines for declared devices left unattached (§5.4); empty when all are attached. */
  unattachedMessages(): string[] {
    const lines: string[] = [];
    for (let i = 1; i < this.entries; i++) {
      const type = this.type(i);
      if (type >= MFT_RESERVED_FIRST || this.attached(i)) continue;
      const typeName = type === MFT_DEV_BLOCK_BASIC ? 'BLOCK_BASIC' : type === MFT_DEV_NET_BASIC ? 'NET_BASIC' : '<undefined type>';
      lines.push(`Device '${this.name(i)}' of type ${typeName} declared but not attached.`);
    }
    return lines;
  }
}
