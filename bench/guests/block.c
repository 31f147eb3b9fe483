/*
 * Sequential block I/O: one pass over the whole device, one block per request (Solo5 allows
 * exactly one block per call). The block size is the device's (512 B or 32 KiB in the harness).
 * blk-write must run before blk-read: the read pass verifies what the write pass stored.
 */
#include "bench.h"

#define MAX_BLOCK 65536

static uint8_t buffer[MAX_BLOCK] __attribute__((aligned(64)));
static uint64_t capacity, block_size;

static void prepare(void)
{
    if (capacity)
        return;
    if (bench_block_info(&capacity, &block_size) != 0 || block_size > MAX_BLOCK || block_size < 8) {
        bench_fail("no usable block device");
        return;
    }
    bench_fill_random(buffer, MAX_BLOCK, 99);
}

static uint64_t block_tag(uint64_t offset)
{
    return bench_mix64(bench_seed, offset);
}

static uint64_t run_write(uint64_t reps)
{
    for (uint64_t r = 0; r < reps; r++)
        for (uint64_t off = 0; off < capacity; off += block_size) {
            *(uint64_t *)buffer = block_tag(off);
            if (bench_block_write(off, buffer, block_size) != 0) {
                bench_fail("block write failed");
                return 0;
            }
        }
    return capacity / block_size;
}

static uint64_t run_read(uint64_t reps)
{
    uint64_t h = 0;
    for (uint64_t r = 0; r < reps; r++) {
        h = 0;
        for (uint64_t off = 0; off < capacity; off += block_size) {
            if (bench_block_read(off, buffer, block_size) != 0) {
                bench_fail("block read failed");
                return 0;
            }
            if (*(uint64_t *)buffer != block_tag(off)) {
                bench_fail("read back a block the write pass did not store");
                return 0;
            }
            h = bench_mix64(h, *(uint64_t *)(buffer + block_size - 8));
        }
    }
    return h;
}

/* The device size is known only at run time: record it as the kernels' bytes per repetition. */
static void prepare_write(void)
{
    prepare();
    bench_kernels[0].bytes = capacity;
}

static void prepare_read(void)
{
    prepare();
    bench_kernels[1].bytes = capacity;
}

struct bench_kernel bench_kernels[] = {
    { .name = "blk-write", .prepare = prepare_write, .run = run_write },
    { .name = "blk-read", .prepare = prepare_read, .run = run_read },
    { 0 },
};
