/*
 * The Solo5 hvt ABI as seen from the guest: boot info, manifest, ELF note and
 * hypercall argument layouts, and the raw hypercall instruction.
 *
 * Numbers and layouts follow the hvt ABI version 2 (see the project's
 * shared/spec/hvt.md, sections 1.3, 1.4, 2.6 and 3). Every layout is pinned by
 * static assertions so a mistake shows up at compile time, not as a confused
 * tender.
 */
#ifndef HVT_ABI_H
#define HVT_ABI_H

#include <stddef.h>
#include <stdint.h>

/* ---- ELF notes ---------------------------------------------------------- */

#define HVT_NOTE_NAME        "Solo5"
#define HVT_NOTE_NAMESZ      6u           /* "Solo5" plus its NUL */
#define HVT_ABI1_NOTE_TYPE   0x31494241u  /* "ABI1" */
#define HVT_MFT1_NOTE_TYPE   0x3154464du  /* "MFT1" */
#define HVT_ABI_TARGET_HVT   1u
#define HVT_ABI_VERSION      2u

/* Common head of a Solo5 note: header plus the name padded to 8 bytes. */
struct hvt_note_header {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
    char name[8];
};
_Static_assert(sizeof(struct hvt_note_header) == 20, "note header is 20 bytes");

struct hvt_abi_note {
    struct hvt_note_header header;
    uint32_t abi_target;
    uint32_t abi_version;
    uint32_t reserved0;
    uint32_t reserved1;
};
_Static_assert(sizeof(struct hvt_abi_note) == 36, "ABI1 note: 20 + 16 bytes");

/* ---- Manifest (MFT version 1) ------------------------------------------ */

#define MFT_VERSION          1u
#define MFT_MAX_ENTRIES      64u          /* entry 0 is reserved: 63 devices */
#define MFT_NAME_SIZE        68u
#define MFT_DEV_BLOCK_BASIC  1u
#define MFT_DEV_NET_BASIC    2u
#define MFT_RESERVED_FIRST   (1u << 30)

struct mft_entry {
    char name[MFT_NAME_SIZE];
    uint32_t type;
    union {
        struct {
            uint64_t capacity;
            uint16_t block_size;
        } block;
        struct {
            uint8_t mac[6];
            uint16_t mtu;
        } net;
    } u;
    uint64_t tender_private;              /* host fd or pointer; never used here */
    uint8_t attached;
    uint8_t padding[7];
};
_Static_assert(sizeof(struct mft_entry) == 104, "mft entry is 104 bytes");
_Static_assert(offsetof(struct mft_entry, type) == 68, "mft type at 68");
_Static_assert(offsetof(struct mft_entry, u) == 72, "mft union at 72");
_Static_assert(offsetof(struct mft_entry, u.net.mtu) == 78, "mft mtu at 78");
_Static_assert(offsetof(struct mft_entry, u.block.block_size) == 80, "mft block size at 80");
_Static_assert(offsetof(struct mft_entry, attached) == 96, "mft attached at 96");

struct mft_header {
    uint32_t version;
    uint32_t entries;                     /* including the reserved entry 0 */
};

struct mft {
    struct mft_header header;
    struct mft_entry e[];
};
_Static_assert(offsetof(struct mft, e) == 8, "mft entries start at 8");

/* ---- Boot info (at GPA 0x10000, pointer passed to _start in RDI) -------- */

#define HVT_FEATURE_RING_IO  1u

struct hvt_boot_info {
    uint64_t mem_size;                    /* guest-usable bytes */
    uint64_t kernel_end;
    uint64_t cpu_cycle_freq;              /* TSC Hz */
    uint64_t cmdline;                     /* GPA of the NUL-terminated command line */
    uint64_t mft;                         /* GPA of the manifest copy */
    uint32_t host_features;
    uint32_t guest_features;
    uint64_t net_ring;
};
_Static_assert(sizeof(struct hvt_boot_info) == 56, "boot info is 56 bytes");

/* ---- Hypercalls --------------------------------------------------------- */

#define HVT_HYPERCALL_PIO_BASE 0x500u

enum hvt_hypercall {
    HVT_HC_WALLTIME    = 1,
    HVT_HC_PUTS        = 2,
    HVT_HC_POLL        = 3,
    HVT_HC_BLOCK_WRITE = 4,
    HVT_HC_BLOCK_READ  = 5,
    HVT_HC_NET_WRITE   = 6,
    HVT_HC_NET_READ    = 7,
    HVT_HC_HALT        = 8,
};

/* Results written back by the tender (solo5_result_t values). */
enum hvt_result {
    HVT_R_OK      = 0,
    HVT_R_AGAIN   = 1,
    HVT_R_EINVAL  = 2,
    HVT_R_EUNSPEC = 3,
};

#define HVT_HALT_COOKIE_MAX 512u

/* Argument structs. Pointers travel as 64-bit GPAs; results are int32. */
struct hvt_hc_walltime { uint64_t nsecs; };
struct hvt_hc_puts     { uint64_t data; uint64_t len; };
struct hvt_hc_poll     { uint64_t timeout_nsecs; uint64_t ready_set; int32_t ret; uint32_t pad; };
struct hvt_hc_block    { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len;
                         int32_t ret; uint32_t pad; };  /* BLOCK_WRITE and BLOCK_READ */
struct hvt_hc_net      { uint64_t handle; uint64_t data; uint64_t len;
                         int32_t ret; uint32_t pad; };  /* NET_WRITE and NET_READ */
struct hvt_hc_halt     { uint64_t cookie; int32_t exit_status; uint32_t pad; };

_Static_assert(sizeof(struct hvt_hc_walltime) == 8, "walltime is 8 bytes");
_Static_assert(sizeof(struct hvt_hc_puts) == 16, "puts is 16 bytes");
_Static_assert(sizeof(struct hvt_hc_poll) == 24 && offsetof(struct hvt_hc_poll, ret) == 16,
               "poll layout");
_Static_assert(sizeof(struct hvt_hc_block) == 40 && offsetof(struct hvt_hc_block, ret) == 32,
               "block layout");
_Static_assert(sizeof(struct hvt_hc_net) == 32 && offsetof(struct hvt_hc_net, ret) == 24,
               "net layout");
_Static_assert(sizeof(struct hvt_hc_halt) == 16 && offsetof(struct hvt_hc_halt, exit_status) == 8,
               "halt layout");

/*
 * Issue hypercall `nr`: a 32-bit OUT to port 0x500 + nr carrying the low 32
 * bits of the argument struct's address (all guest memory is below 4 GiB and
 * identity-mapped). The tender writes results into the struct, hence the
 * memory clobber.
 */
static inline void hvt_hypercall(enum hvt_hypercall nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)arg),
                           "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + (unsigned)nr))
                         : "memory");
}

#endif /* HVT_ABI_H */
