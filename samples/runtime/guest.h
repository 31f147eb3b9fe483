/*
 * guest.h — the public API of Tender's minimal Solo5 hvt guest runtime.
 *
 * A guest program provides
 *
 *     GUEST_MANIFEST(GUEST_DEV_BLOCK("storage"), GUEST_DEV_NET("service0"));
 *     int guest_main(const char *cmdline) { ...; return 0; }
 *
 * and is linked with the runtime object and runtime/hvt.ld (see guest.mk).
 * The runtime boots the CPU state the guest needs (stack canary, GDT/TSS,
 * IDT), parses the command line, prints a short banner and calls guest_main;
 * its return value becomes the exit status.
 *
 * Command line: leading blanks are skipped and a leading `--quiet` token is
 * consumed; it silences the runtime's informational lines (they all start
 * with "guest: ") but never an ABORT line. guest_main sees the rest.
 *
 * Runtime output: informational lines start with "guest: "; fatal ones are
 * "guest: ABORT: <what>" followed by HALT with status 255.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"

/* ---- Program entry and exit --------------------------------------------- */

/* Provided by the program. `cmdline` is never NULL. */
int guest_main(const char *cmdline);

#define GUEST_EXIT_SUCCESS 0
#define GUEST_EXIT_FAILURE 1
#define GUEST_EXIT_ABORT   255

/* HALT with `status` (the tender exits with status & 0xff). */
_Noreturn void guest_exit(int status);
/* Print "guest: ABORT: abort() called" and HALT with 255. */
_Noreturn void guest_abort(void);
/* Print "guest: ABORT: <file>:<line>: <message>" and HALT with 255. */
_Noreturn void guest_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The source file's base name where the compiler offers it (gcc >= 12). */
#ifdef __FILE_NAME__
#define GUEST_SOURCE_FILE __FILE_NAME__
#else
#define GUEST_SOURCE_FILE __FILE__
#endif

#define GUEST_ASSERT(expr)                                                            \
    do {                                                                              \
        if (!(expr))                                                                  \
            guest_panic(GUEST_SOURCE_FILE, __LINE__, "Assertion `%s' failed", #expr); \
    } while (0)

/* ---- Console ------------------------------------------------------------ */

/* Write `len` raw bytes to the console with a single PUTS hypercall. */
void guest_write(const char *buf, size_t len);
/* Write a NUL-terminated string (no newline is added). */
void guest_puts(const char *s);
/*
 * printf subset: %d %i %u %x %X %p %s %c %%, length modifiers l ll z,
 * flags '-' and '0', a field width (digits or '*'). No floating point.
 * Output is formatted into a stack buffer and flushed in PUTS-sized pieces.
 */
int guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int guest_vprintf(const char *fmt, va_list ap);
/* Same formats into `buf`; always NUL-terminates when size > 0; returns the
 * length the full output would have had. */
int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* True when the command line started with --quiet. */
bool guest_is_quiet(void);

/* ---- Time --------------------------------------------------------------- */

#define GUEST_NSEC_PER_SEC 1000000000ULL

/* Nanoseconds since boot, from RDTSC scaled by the boot-info TSC frequency. */
uint64_t guest_clock_monotonic(void);
/* Nanoseconds since the Unix epoch (WALLTIME hypercall). */
uint64_t guest_clock_wall(void);
/*
 * Block until the monotonic clock reaches `deadline` or a network device has
 * data (POLL hypercall). `*ready_set` (may be NULL) receives a bit per ready
 * net handle (bit h for handle h). Returns the number of ready handles.
 * A deadline in the past polls without waiting.
 */
int guest_yield(uint64_t deadline, uint64_t *ready_set);

/* ---- Memory --------------------------------------------------------------- */

/* Bump allocation from the heap above the image; `align` is a power of two.
 * Returns NULL when the heap is exhausted. Memory is never freed. */
void *guest_alloc(size_t size, size_t align);

/* The C library subset the compiler may call on its own. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *strcpy(char *restrict dst, const char *restrict src);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- Thread-local storage (x86-64 variant II) ----------------------------- */

#define GUEST_TLS_ALIGN 64

/* Bytes needed for one TLS block (the .tdata/.tbss image plus the self
 * pointer). */
size_t guest_tls_size(void);
/* Lay out a TLS block in `block` (GUEST_TLS_ALIGN-aligned, guest_tls_size()
 * bytes): copy .tdata, zero .tbss, store the thread pointer at itself.
 * Returns the thread pointer to hand to guest_set_tls_base. */
uintptr_t guest_tls_init(void *block);
/* Load the FS base (IA32_FS_BASE) with `tp`; 0 disables TLS again. */
void guest_set_tls_base(uintptr_t tp);

/* ---- Devices ---------------------------------------------------------------- */

/* A device handle is the device's manifest index (1..63). */
typedef uint64_t guest_handle_t;

/* Results of device calls, equal to the hvt ABI's result codes. */
enum guest_result {
    GUEST_OK      = HVT_R_OK,
    GUEST_AGAIN   = HVT_R_AGAIN,
    GUEST_EINVAL  = HVT_R_EINVAL,
    GUEST_EUNSPEC = HVT_R_EUNSPEC,
};

struct guest_block_info {
    uint64_t capacity;                    /* bytes */
    uint64_t block_size;                  /* bytes; the only allowed I/O size */
};

/* Find the BLOCK device `name`. GUEST_EINVAL if there is none. */
int guest_block_acquire(const char *name, guest_handle_t *handle,
                        struct guest_block_info *info);
/* Single-block I/O: `offset` must be a multiple of the block size and `size`
 * exactly one block, else GUEST_EINVAL without a hypercall. */
int guest_block_write(guest_handle_t handle, uint64_t offset, const void *buf, size_t size);
int guest_block_read(guest_handle_t handle, uint64_t offset, void *buf, size_t size);

struct guest_net_info {
    uint8_t mac[6];
    size_t mtu;                           /* frames may be up to mtu + 14 bytes */
};

/* Find the NET device `name`. GUEST_EINVAL if there is none. */
int guest_net_acquire(const char *name, guest_handle_t *handle, struct guest_net_info *info);
/* Send one Ethernet frame. */
int guest_net_write(guest_handle_t handle, const void *frame, size_t size);
/* Receive one frame into `buf`; GUEST_AGAIN when none is queued. */
int guest_net_read(guest_handle_t handle, void *buf, size_t size, size_t *read_size);

/* ---- Manifest declaration ------------------------------------------------------ */

#define GUEST_DEV_BLOCK(devname) { .name = devname, .type = MFT_DEV_BLOCK_BASIC }
#define GUEST_DEV_NET(devname)   { .name = devname, .type = MFT_DEV_NET_BASIC }

/*
 * GUEST_MANIFEST(devices...) emits the MFT1 note: the note header, 4 padding
 * bytes (the descriptor is 8-aligned), the mft header and the entries, with
 * the reserved entry 0 first. descsz = 4 + 8 + 104 * entries. Use it exactly
 * once per program, at file scope; GUEST_MANIFEST() declares no devices.
 */
#define GUEST_MANIFEST(...)                                                        \
    GUEST_MANIFEST_N_(sizeof((struct mft_entry[]){ { .type = MFT_RESERVED_FIRST }, \
                                                   __VA_ARGS__ }) /                \
                          sizeof(struct mft_entry),                                \
                      __VA_ARGS__)

#define GUEST_MANIFEST_N_(count, ...)                                              \
    _Static_assert((count) <= MFT_MAX_ENTRIES, "at most 63 devices");              \
    __attribute__((section(".note.solo5.manifest"), aligned(8), used))             \
    static const struct {                                                          \
        struct hvt_note_header header;                                             \
        uint32_t padding;                                                          \
        struct mft_header mft;                                                     \
        struct mft_entry e[count];                                                 \
    } guest_manifest_note_ = {                                                     \
        .header = { HVT_NOTE_NAMESZ, 4 + 8 + 104 * (count), HVT_MFT1_NOTE_TYPE,    \
                    HVT_NOTE_NAME },                                               \
        .padding = 0,                                                              \
        .mft = { MFT_VERSION, (count) },                                           \
        .e = { { .type = MFT_RESERVED_FIRST }, __VA_ARGS__ },                      \
    }

#endif /* GUEST_H */
