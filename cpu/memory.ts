/**
 * Guest-physical memory: one zero-filled buffer of the machine's size, allocated lazily by the
 * host (a 4 GiB guest costs nothing until it touches its pages). A WebAssembly.Memory backs it so
 * that a later wasm translation tier can share it without copies.
 *
 * Per 4 KiB page the memory keeps a byte of flags that both the CPU and the machine consult:
 * - PAGE_HOST_READONLY: the machine forbids guest writes (Solo5's host-side W^X on ELF segments);
 *   a guest store there stops the CPU with a host fault.
 * - PAGE_HAS_CODE: the CPU holds decoded instructions from this page; any write to it (by the
 *   guest, or by a device through `written`) must invalidate them.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_HOST_READONLY = 1;
export const PAGE_HAS_CODE = 2;

const WASM_PAGE = 65536;

export class GuestMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly view: DataView;
  readonly pageFlags: Uint8Array;
  /** Called for each page with PAGE_HAS_CODE that `written` touches; the CPU installs it. */
  codeWriteListener: ((page: number) => void) | null = null;

  constructor(size: number) {
    if (size <= 0 || size % PAGE_SIZE !== 0 || size > 2 ** 32) {
      throw new RangeError(`guest memory size ${size} must be a positive multiple of 4 KiB, at most 4 GiB`);
    }
    const pages = Math.ceil(size / WASM_PAGE);
    this.buffer = new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
    this.size = size;
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.view = new DataView(this.buffer, 0, size);
    // Division, not >>>: a 4 GiB size does not fit in 32 bits.
    this.pageFlags = new Uint8Array(size / PAGE_SIZE);
  }

  /** Marks [start, end) read-only for the guest; both ends are page aligned. */
  protectReadOnly(start: number, end: number): void {
    for (let p = start / PAGE_SIZE; p < end / PAGE_SIZE; p++) this.pageFlags[p] |= PAGE_HOST_READONLY;
  }

  /** Drops every host-side protection (the gdb stub needs all memory writable). */
  unprotectAll(): void {
    for (let p = 0; p < this.pageFlags.length; p++) this.pageFlags[p] &= ~PAGE_HOST_READONLY;
  }

  /**
   * Devices and the tender call this after writing guest memory directly (block reads, net
   * reads, boot set-up), so that stale decoded code on those pages is thrown away.
   */
  written(start: number, length: number): void {
    if (length <= 0) return;
    const last = Math.floor((start + length - 1) / PAGE_SIZE);
    for (let p = Math.floor(start / PAGE_SIZE); p <= last; p++) {
      if (this.pageFlags[p] & PAGE_HAS_CODE) {
        this.pageFlags[p] &= ~PAGE_HAS_CODE;
        this.codeWriteListener?.(p);
      }
    }
  }
}
