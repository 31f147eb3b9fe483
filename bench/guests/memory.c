/*
 * Memory movement on multi-MiB buffers. One static arena holds three 8 MiB regions:
 *   A [0, 8M)   source, filled once and never written again
 *   C [8M, 16M) destination of the copies and the fill
 *   B [16M, 24M) exactly 16 MiB after A, for the alternating-access kernel
 * so every kernel's checksum depends only on its own work, whatever ran before it.
 */
#include "bench.h"

#define MiB (1024u * 1024u)
#define REGION (8 * MiB)

static uint8_t arena[3 * REGION] __attribute__((aligned(4096)));
#define A (arena)
#define C (arena + REGION)
#define B (arena + 2 * REGION)

/*
 * Fills the source once and touches every destination page, so that no timing includes the host
 * faulting in fresh pages (both a Linux process and a lazily allocated guest RAM would).
 */
static void prepare_regions(void)
{
    static int done;
    if (done)
        return;
    bench_fill_random(A, REGION, 1234);
    for (size_t off = 0; off < REGION; off += 4096)
        C[off] = B[off] = 1;
    done = 1;
}

/* A cheap checksum: 1024 words sampled across the region. */
static uint64_t sample(const uint8_t *p)
{
    uint64_t h = 0;
    for (size_t off = 0; off < REGION; off += REGION / 1024)
        h = bench_mix64(h, *(const uint64_t *)(p + off + (off >> 13) % 64 * 8));
    return h;
}

static void rep_movsb(void *dst, const void *src, size_t n)
{
    __asm__ __volatile__("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void rep_stosb(void *dst, uint8_t value, size_t n)
{
    __asm__ __volatile__("rep stosb" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
}

static uint64_t run_movsb(uint64_t reps)
{
    for (uint64_t r = 0; r < reps; r++) {
        (void)bench_seed;
        rep_movsb(C, A, REGION);
    }
    return sample(C);
}

static uint64_t run_stosb(uint64_t reps)
{
    uint8_t value = 0;
    for (uint64_t r = 0; r < reps; r++) {
        value = (uint8_t)bench_seed;
        rep_stosb(C, value, REGION);
    }
    return sample(C) ^ value;
}

static uint64_t run_copy8(uint64_t reps)
{
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t *dst = (uint64_t *)C;
        const uint64_t *src = (const uint64_t *)A;
        uint64_t k = bench_seed;
        /* The xor keeps the compiler from turning the loop into a memcpy call. */
        for (size_t i = 0; i < REGION / 8; i++)
            dst[i] = src[i] ^ k;
        BENCH_BARRIER();
    }
    return sample(C);
}

/* One load per 64-byte line across A. */
static uint64_t run_stride64(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t s = bench_seed;
        for (size_t off = 0; off < REGION; off += 64)
            s += *(const volatile uint64_t *)(A + off);
        sum = s;
    }
    return sum;
}

/* Page-sized stride: consecutive loads always land on different 4 KiB pages (TLB pressure). */
static uint64_t run_stride4k(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t s = bench_seed;
        for (size_t line = 0; line < 4096; line += 64)
            for (size_t page = 0; page < REGION; page += 4096)
                s += *(const volatile uint64_t *)(A + page + line);
        sum = s;
    }
    return sum;
}

/* A and B lie exactly 16 MiB apart: read A, write B, alternately (aliasing in caches and TLBs). */
static uint64_t run_alias16m(uint64_t reps)
{
    for (uint64_t r = 0; r < reps; r++) {
        const volatile uint64_t *src = (const uint64_t *)A;
        volatile uint64_t *dst = (uint64_t *)B;
        uint64_t k = bench_seed;
        for (size_t i = 0; i < REGION / 8; i++)
            dst[i] = src[i] + k;
    }
    return sample(B);
}

struct bench_kernel bench_kernels[] = {
    { .name = "rep-movsb", .prepare = prepare_regions, .run = run_movsb, .bytes = REGION },
    { .name = "rep-stosb", .prepare = prepare_regions, .run = run_stosb, .bytes = REGION },
    { .name = "copy8", .prepare = prepare_regions, .run = run_copy8, .bytes = REGION },
    { .name = "stride64", .prepare = prepare_regions, .run = run_stride64, .bytes = 0 },
    { .name = "stride4k", .prepare = prepare_regions, .run = run_stride4k, .bytes = 0 },
    { .name = "alias16m", .prepare = prepare_regions, .run = run_alias16m, .bytes = 2 * REGION },
    { 0 },
};
