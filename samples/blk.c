/*
 * blk: block device "storage".
 *  1. write/read-verify a pattern on every 10th block and on the last block;
 *  2. I/O at offset = capacity fails with EINVAL (checked by the tender);
 *  3. the runtime helpers reject size ±1, a misaligned offset and bad handles
 *     with EINVAL before any hypercall;
 *  4. raw hypercalls: unaligned partial reads are allowed by the ABI; offset
 *     ≥ capacity, offset + len > capacity, overflow and bad handles → EINVAL.
 * Run: tender --block:storage=disk.img blk.hvt      (disk.img: 4 MiB)
 *      optionally --block-sector-size:storage=4096  → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST(GUEST_DEV_BLOCK("storage"));

static bool failed;

static void expect(const char *what, int got, int want)
{
    if (got != want) {
        guest_printf("FAILURE: %s returned %d, expected %d\n", what, got, want);
        failed = true;
    }
}

static void fill_pattern(uint8_t *buf, size_t size, uint64_t block)
{
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(i * 7 + block * 13 + 1);
}

static int raw_io(enum hvt_hypercall nr, uint64_t handle, uint64_t offset, void *buf, uint64_t len)
{
    struct hvt_hc_block req = {
        .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = len,
    };
    hvt_hypercall(nr, &req);
    return req.ret;
}

static void write_and_verify(guest_handle_t h, uint64_t offset, uint64_t bs,
                             uint8_t *wbuf, uint8_t *rbuf)
{
    fill_pattern(wbuf, bs, offset / bs);
    expect("block write", guest_block_write(h, offset, wbuf, bs), GUEST_OK);
    memset(rbuf, 0, bs);
    expect("block read", guest_block_read(h, offset, rbuf, bs), GUEST_OK);
    if (memcmp(wbuf, rbuf, bs) != 0) {
        guest_printf("FAILURE: data read back at offset %lu differs\n", (unsigned long)offset);
        failed = true;
    }
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_handle_t h;
    struct guest_block_info info;

    expect("acquire(nonexistent)", guest_block_acquire("nonexistent", &h, &info), GUEST_EINVAL);
    if (guest_block_acquire("storage", &h, &info) != GUEST_OK) {
        guest_puts("FAILURE: no block device 'storage'\n");
        return GUEST_EXIT_FAILURE;
    }
    uint64_t cap = info.capacity, bs = info.block_size;
    guest_printf("storage: handle %lu, capacity %lu bytes, block size %lu\n",
                 (unsigned long)h, (unsigned long)cap, (unsigned long)bs);
    if (bs == 0 || cap < bs || cap % bs != 0) {
        guest_puts("FAILURE: implausible geometry\n");
        return GUEST_EXIT_FAILURE;
    }
    uint8_t *wbuf = guest_alloc(bs, 16);
    uint8_t *rbuf = guest_alloc(2 * bs, 16);
    GUEST_ASSERT(wbuf != NULL && rbuf != NULL);

    /* 1. Pattern on every 10th block and on the last one. */
    for (uint64_t offset = 0; offset < cap; offset += 10 * bs)
        write_and_verify(h, offset, bs, wbuf, rbuf);
    write_and_verify(h, cap - bs, bs, wbuf, rbuf);

    /* 2. Beyond the end. */
    expect("write at capacity", guest_block_write(h, cap, wbuf, bs), GUEST_EINVAL);
    expect("read at capacity", guest_block_read(h, cap, rbuf, bs), GUEST_EINVAL);

    /* 3. What the helpers refuse on their own. */
    expect("write size-1", guest_block_write(h, 0, wbuf, bs - 1), GUEST_EINVAL);
    expect("write size+1", guest_block_write(h, 0, wbuf, bs + 1), GUEST_EINVAL);
    expect("read size-1", guest_block_read(h, 0, rbuf, bs - 1), GUEST_EINVAL);
    expect("read size+1", guest_block_read(h, 0, rbuf, bs + 1), GUEST_EINVAL);
    expect("write misaligned", guest_block_write(h, 1, wbuf, bs), GUEST_EINVAL);
    expect("read misaligned", guest_block_read(h, bs / 2, rbuf, bs), GUEST_EINVAL);
    expect("read handle 0", guest_block_read(0, 0, rbuf, bs), GUEST_EINVAL);
    expect("read handle+1", guest_block_read(h + 1, 0, rbuf, bs), GUEST_EINVAL);

    /* 4. Raw hypercalls: the tender checks bounds and handles only. Block 0
     * holds fill_pattern(block 0), so an unaligned read must see its bytes. */
    uint8_t expected[100];
    fill_pattern(wbuf, bs, 0);
    memcpy(expected, wbuf + 1, sizeof(expected));
    memset(rbuf, 0, 2 * bs);
    expect("raw read offset 1, 100 bytes", raw_io(HVT_HC_BLOCK_READ, h, 1, rbuf, 100), GUEST_OK);
    if (memcmp(rbuf, expected, sizeof(expected)) != 0) {
        guest_puts("FAILURE: raw unaligned read returned wrong data\n");
        failed = true;
    }
    expect("raw read of 0 bytes", raw_io(HVT_HC_BLOCK_READ, h, 0, rbuf, 0), GUEST_OK);
    expect("raw read at capacity, 0 bytes", raw_io(HVT_HC_BLOCK_READ, h, cap, rbuf, 0),
           GUEST_EINVAL);
    expect("raw read across the end", raw_io(HVT_HC_BLOCK_READ, h, cap - bs, rbuf, 2 * bs),
           GUEST_EINVAL);
    expect("raw write across the end", raw_io(HVT_HC_BLOCK_WRITE, h, cap - bs, rbuf, 2 * bs),
           GUEST_EINVAL);
    expect("raw read with offset overflow", raw_io(HVT_HC_BLOCK_READ, h, ~0ULL - 10, rbuf, 100),
           GUEST_EINVAL);
    expect("raw write to handle 0", raw_io(HVT_HC_BLOCK_WRITE, 0, 0, wbuf, bs), GUEST_EINVAL);
    expect("raw write to handle 64", raw_io(HVT_HC_BLOCK_WRITE, 64, 0, wbuf, bs), GUEST_EINVAL);

    if (failed)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
