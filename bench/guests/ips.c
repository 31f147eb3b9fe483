/*
 * A calibrated loop for guest instructions per second: straight register arithmetic whose
 * instruction count is known exactly (the loop is written in assembly, so the compiler cannot
 * change it). It measures the emulator's simplest path, so it is an upper bound for real code.
 */
#include "bench.h"

#define LOOP_ITERS 250000
#define INSNS_PER_ITER 10

static uint64_t run_alu_loop(uint64_t reps)
{
    uint64_t a = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t x = bench_seed, y = 0x1234567, z = 3;
        uint64_t n = LOOP_ITERS;
        __asm__ __volatile__(
            "1:\n\t"
            "add %[x], %[y]\n\t"
            "xor %[y], %[z]\n\t"
            "lea 7(%[x],%[z],2), %[x]\n\t"
            "rol $5, %[y]\n\t"
            "sub %[z], %[x]\n\t"
            "and $0x7fffffff, %[z]\n\t"
            "or %[x], %[z]\n\t"
            "mov %[y], %[x]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            : [x] "+r"(x), [y] "+r"(y), [z] "+r"(z), [n] "+r"(n)
            :
            : "cc");
        a = x ^ y ^ z;
    }
    return a;
}

struct bench_kernel bench_kernels[] = {
    { .name = "alu-loop", .run = run_alu_loop, .insns = (uint64_t)LOOP_ITERS * INSNS_PER_ITER },
    { 0 },
};
