/*
 * The whole world a benchmark workload may see. Workloads are compiled once into an object file
 * and linked twice: with shim-native.c into a Linux executable, and with shim-hvt.c into a Solo5
 * hvt unikernel. So they use no libc at all: only these calls and their own code.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- Provided by the shim (one per engine) ---- */

/* Writes `len` bytes to the console (stdout natively). */
void bench_write(const char *s, size_t len);
/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);
/*
 * The optional block device ("storage" on hvt; $BENCH_BLOCK_FILE natively). Requests are exactly
 * one block at a block-aligned offset, as on Solo5. Return 0 on success, -1 on failure.
 */
int bench_block_info(uint64_t *capacity, uint64_t *block_size);
int bench_block_write(uint64_t offset, const void *buf, size_t len);
int bench_block_read(uint64_t offset, void *buf, size_t len);

/* ---- Provided by common.c: the driver every workload shares ---- */

/*
 * One timed kernel. `run` performs `reps` repetitions of one unit of work, each starting from the
 * same state, and returns a checksum of the result that does not depend on `reps`: so the native
 * and the emulated run can use different repetition counts and still be compared.
 */
struct bench_kernel {
    const char *name;
    /* Untimed set-up, run once before the first timing of this kernel (may be NULL). */
    void (*prepare)(void);
    uint64_t (*run)(uint64_t reps);
    /* Bytes moved per repetition (0 if not meaningful); block kernels set it in prepare. */
    uint64_t bytes;
    /* Guest instructions per repetition when known exactly (calibrated loops), else 0. */
    uint64_t insns;
};

/* Each workload defines its kernel table, terminated by an entry with name == NULL. */
extern struct bench_kernel bench_kernels[];

/*
 * Entry point called by the shim with the command line, a list of NAME=REPS words. It runs each
 * named kernel (all kernels with reps 1 when the line is empty) and prints one line per kernel:
 *   BENCH name=NAME reps=N ns=T checksum=HEX16 bytes=B insns=I warmup=W
 * T covers the N timed repetitions; W is one untimed warm-up repetition run before them.
 * Returns 0, or 1 after printing "BENCH error ..." for a bad argument or a failed kernel.
 */
int bench_main(const char *cmdline);

/* A seed the compiler cannot see through: reading it each repetition keeps repetitions real. */
extern volatile uint64_t bench_seed;

/* Marks a kernel as failed (prints "BENCH error NAME: MSG"); its line then carries checksum 0. */
void bench_fail(const char *msg);

/* Small helpers for workloads. */
void bench_print(const char *s);
uint64_t bench_mix64(uint64_t h, uint64_t v);
void bench_fill_random(void *buf, size_t len, uint64_t seed);

/* Stops the compiler from moving memory accesses across this point. */
#define BENCH_BARRIER() __asm__ __volatile__("" ::: "memory")

#endif
