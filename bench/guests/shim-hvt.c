/*
 * Tender engine for the benchmark workloads: the bench.h API on top of the samples' guest runtime
 * (samples/runtime/guest.h). The block workload is linked with this file compiled with
 * -DBENCH_WITH_BLOCK, which declares the "storage" device in the manifest; the others declare no
 * device, so the tender needs no flags for them.
 */
#include "guest.h"

#include "bench.h"

void bench_write(const char *s, size_t len)
{
    guest_write(s, len);
}

uint64_t bench_now_ns(void)
{
    return guest_clock_monotonic();
}

#ifdef BENCH_WITH_BLOCK

GUEST_MANIFEST(GUEST_DEV_BLOCK("storage"));

static guest_handle_t storage;
static struct guest_block_info storage_info;

int bench_block_info(uint64_t *capacity, uint64_t *block_size)
{
    if (!storage && guest_block_acquire("storage", &storage, &storage_info) != GUEST_OK)
        return -1;
    *capacity = storage_info.capacity;
    *block_size = storage_info.block_size;
    return 0;
}

int bench_block_write(uint64_t offset, const void *buf, size_t len)
{
    return guest_block_write(storage, offset, buf, len) == GUEST_OK ? 0 : -1;
}

int bench_block_read(uint64_t offset, void *buf, size_t len)
{
    return guest_block_read(storage, offset, buf, len) == GUEST_OK ? 0 : -1;
}

#else

GUEST_MANIFEST();

int bench_block_info(uint64_t *capacity, uint64_t *block_size)
{
    (void)capacity, (void)block_size;
    return -1;
}

int bench_block_write(uint64_t offset, const void *buf, size_t len)
{
    (void)offset, (void)buf, (void)len;
    return -1;
}

int bench_block_read(uint64_t offset, void *buf, size_t len)
{
    (void)offset, (void)buf, (void)len;
    return -1;
}

#endif

int guest_main(const char *cmdline)
{
    return bench_main(cmdline);
}
