/**
 * Numbers and offsets of the Solo5 hvt ABI (x86_64), in one place. Everything else in the tender
 * refers to these names instead of repeating literals.
 */

// ELF
export const ELF_HEADER_SIZE = 64;
export const ELF_PHDR_SIZE = 56;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_EXEC = 2;
export const ET_CORE = 4;
export const EM_X86_64 = 62;
export const ELFOSABI_STANDALONE = 0xff;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const NT_PRSTATUS = 1;

// Notes
export const NOTE_HEADER_SIZE = 12;
/** Elf64_Nhdr plus the 8-byte padded name "Solo5\0". */
export const SOLO5_NOTE_PREFIX = 20;
export const SOLO5_NOTE_NAME = 'Solo5';
export const ABI1_NOTE_TYPE = 0x31494241;
export const ABI1_NOTE_ALIGN = 4;
export const ABI1_NOTE_MAX_DESCSZ = 32;
export const MFT1_NOTE_TYPE = 0x3154464d;
export const MFT1_NOTE_ALIGN = 8;
export const MFT1_NOTE_MAX_DESCSZ = 6668;

export const HVT_ABI_TARGET = 1;
export const HVT_ABI_VERSION = 2;

// Manifest
export const MFT_VERSION = 1;
export const MFT_MAX_ENTRIES = 64;
export const MFT_NAME_SIZE = 68;
export const MFT_NAME_MAX = 67;
export const MFT_HEADER_SIZE = 8;
export const MFT_ENTRY_SIZE = 104;
export const MFT_DEV_BLOCK_BASIC = 1;
export const MFT_DEV_NET_BASIC = 2;
export const MFT_RESERVED_FIRST = 0x40000000;
export const MFT_ENTRY_TYPE = 68;
export const MFT_ENTRY_BLOCK_CAPACITY = 72;
export const MFT_ENTRY_BLOCK_SIZE = 80;
export const MFT_ENTRY_NET_MAC = 72;
export const MFT_ENTRY_NET_MTU = 78;
export const MFT_ENTRY_PRIVATE = 88;
export const MFT_ENTRY_ATTACHED = 96;

// Guest memory
export const HVT_GUEST_MIN_BASE = 0x100000;
export const X86_GUEST_PAGE_SIZE = 0x200000;
export const X86_GUEST_MAX_MEM_SIZE = 0x100000000;
export const DEFAULT_MEM_MIB = 512;
export const X86_GDT_BASE = 0x1000;
export const X86_PML4_BASE = 0x2000;
export const X86_PDPTE_BASE = 0x3000;
export const X86_PDE_BASE = 0x4000;
export const X86_PDE_PAGES = 4;
export const X86_PT0E_BASE = 0x8000;
export const X86_BOOT_INFO_BASE = 0x10000;
export const X86_CR0_INIT = 0x80010021n;
export const X86_CR4_INIT = 0x620n;
export const X86_EFER_INIT = 0x500n;
export const X86_RFLAGS_INIT = 0x2;
export const MSR_EFER = 0xc0000080;
export const GDT_SEL_CODE = 0x08;
export const GDT_SEL_DATA = 0x10;
export const GDT_DESC_CODE = 0x00af99000000ffffn;
export const GDT_DESC_DATA = 0x00cf93000000ffffn;

// Boot info (struct hvt_boot_info)
export const BOOT_INFO_SIZE = 56;
export const BI_MEM_SIZE = 0;
export const BI_KERNEL_END = 8;
export const BI_CPU_CYCLE_FREQ = 16;
export const BI_CMDLINE = 24;
export const BI_MFT = 32;
export const BI_HOST_FEATURES = 40;
export const BI_GUEST_FEATURES = 44;
export const BI_NET_RING = 48;
export const HVT_CMDLINE_SIZE = 8192;

// Hypercalls
export const HVT_HYPERCALL_PIO_BASE = 0x500;
export const HVT_HYPERCALL_MAX = 9;
export const HVT_HYPERCALL_WALLTIME = 1;
export const HVT_HYPERCALL_PUTS = 2;
export const HVT_HYPERCALL_POLL = 3;
export const HVT_HYPERCALL_BLOCK_WRITE = 4;
export const HVT_HYPERCALL_BLOCK_READ = 5;
export const HVT_HYPERCALL_NET_WRITE = 6;
export const HVT_HYPERCALL_NET_READ = 7;
export const HVT_HYPERCALL_HALT = 8;
export const HVT_HALT_COOKIE_MAX = 512;

/** Argument struct sizes and field offsets (identical for guest and host on x86_64). */
export const HC_WALLTIME_SIZE = 8;
export const HC_PUTS_SIZE = 16;
export const HC_PUTS_DATA = 0;
export const HC_PUTS_LEN = 8;
export const HC_BLOCK_SIZE = 40;
export const HC_BLOCK_HANDLE = 0;
export const HC_BLOCK_OFFSET = 8;
export const HC_BLOCK_DATA = 16;
export const HC_BLOCK_LEN = 24;
export const HC_BLOCK_RET = 32;
export const HC_NET_SIZE = 32;
export const HC_NET_HANDLE = 0;
export const HC_NET_DATA = 8;
export const HC_NET_LEN = 16;
export const HC_NET_RET = 24;
export const HC_POLL_SIZE = 24;
export const HC_POLL_TIMEOUT = 0;
export const HC_POLL_READY_SET = 8;
export const HC_POLL_RET = 16;
export const HC_HALT_SIZE = 16;
export const HC_HALT_COOKIE = 0;
export const HC_HALT_STATUS = 8;

/** solo5_result_t */
export const SOLO5_R_OK = 0;
export const SOLO5_R_AGAIN = 1;
export const SOLO5_R_EINVAL = 2;
export const SOLO5_R_EUNSPEC = 3;
export const SOLO5_EXIT_ABORT = 255;

/** Trap frame the bindings pass as the HALT cookie: {cr2, ec, rip, cs, rflags, rsp, ss}. */
export const TRAP_FRAME_RIP = 16;
export const TRAP_FRAME_CS = 24;
export const TRAP_FRAME_RFLAGS = 32;
export const TRAP_FRAME_RSP = 40;
export const TRAP_FRAME_SS = 48;
