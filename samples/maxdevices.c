/*
 * maxdevices: the largest manifest there is, 63 block devices storage0 ..
 * storage62 (64 entries with the reserved one). Acquires storage0 and
 * storage62 and writes and reads back one block on each.
 * Run: tender --block:storage0=img0 ... --block:storage62=img62 maxdevices.hvt
 *      (every image 4 KiB)                                → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST(
    GUEST_DEV_BLOCK("storage0"),
    GUEST_DEV_BLOCK("storage1"),
    GUEST_DEV_BLOCK("storage2"),
    GUEST_DEV_BLOCK("storage3"),
    GUEST_DEV_BLOCK("storage4"),
    GUEST_DEV_BLOCK("storage5"),
    GUEST_DEV_BLOCK("storage6"),
    GUEST_DEV_BLOCK("storage7"),
    GUEST_DEV_BLOCK("storage8"),
    GUEST_DEV_BLOCK("storage9"),
    GUEST_DEV_BLOCK("storage10"),
    GUEST_DEV_BLOCK("storage11"),
    GUEST_DEV_BLOCK("storage12"),
    GUEST_DEV_BLOCK("storage13"),
    GUEST_DEV_BLOCK("storage14"),
    GUEST_DEV_BLOCK("storage15"),
    GUEST_DEV_BLOCK("storage16"),
    GUEST_DEV_BLOCK("storage17"),
    GUEST_DEV_BLOCK("storage18"),
    GUEST_DEV_BLOCK("storage19"),
    GUEST_DEV_BLOCK("storage20"),
    GUEST_DEV_BLOCK("storage21"),
    GUEST_DEV_BLOCK("storage22"),
    GUEST_DEV_BLOCK("storage23"),
    GUEST_DEV_BLOCK("storage24"),
    GUEST_DEV_BLOCK("storage25"),
    GUEST_DEV_BLOCK("storage26"),
    GUEST_DEV_BLOCK("storage27"),
    GUEST_DEV_BLOCK("storage28"),
    GUEST_DEV_BLOCK("storage29"),
    GUEST_DEV_BLOCK("storage30"),
    GUEST_DEV_BLOCK("storage31"),
    GUEST_DEV_BLOCK("storage32"),
    GUEST_DEV_BLOCK("storage33"),
    GUEST_DEV_BLOCK("storage34"),
    GUEST_DEV_BLOCK("storage35"),
    GUEST_DEV_BLOCK("storage36"),
    GUEST_DEV_BLOCK("storage37"),
    GUEST_DEV_BLOCK("storage38"),
    GUEST_DEV_BLOCK("storage39"),
    GUEST_DEV_BLOCK("storage40"),
    GUEST_DEV_BLOCK("storage41"),
    GUEST_DEV_BLOCK("storage42"),
    GUEST_DEV_BLOCK("storage43"),
    GUEST_DEV_BLOCK("storage44"),
    GUEST_DEV_BLOCK("storage45"),
    GUEST_DEV_BLOCK("storage46"),
    GUEST_DEV_BLOCK("storage47"),
    GUEST_DEV_BLOCK("storage48"),
    GUEST_DEV_BLOCK("storage49"),
    GUEST_DEV_BLOCK("storage50"),
    GUEST_DEV_BLOCK("storage51"),
    GUEST_DEV_BLOCK("storage52"),
    GUEST_DEV_BLOCK("storage53"),
    GUEST_DEV_BLOCK("storage54"),
    GUEST_DEV_BLOCK("storage55"),
    GUEST_DEV_BLOCK("storage56"),
    GUEST_DEV_BLOCK("storage57"),
    GUEST_DEV_BLOCK("storage58"),
    GUEST_DEV_BLOCK("storage59"),
    GUEST_DEV_BLOCK("storage60"),
    GUEST_DEV_BLOCK("storage61"),
    GUEST_DEV_BLOCK("storage62"));

static bool check_device(const char *name)
{
    guest_handle_t h;
    struct guest_block_info info;

    if (guest_block_acquire(name, &h, &info) != GUEST_OK) {
        guest_printf("FAILURE: cannot acquire %s\n", name);
        return false;
    }
    uint8_t *wbuf = guest_alloc(info.block_size, 16);
    uint8_t *rbuf = guest_alloc(info.block_size, 16);
    GUEST_ASSERT(wbuf != NULL && rbuf != NULL);
    for (size_t i = 0; i < info.block_size; i++)
        wbuf[i] = (uint8_t)(i + h);
    if (guest_block_write(h, 0, wbuf, info.block_size) != GUEST_OK ||
        guest_block_read(h, 0, rbuf, info.block_size) != GUEST_OK ||
        memcmp(wbuf, rbuf, info.block_size) != 0) {
        guest_printf("FAILURE: block I/O on %s (handle %lu)\n", name, (unsigned long)h);
        return false;
    }
    guest_printf("%s: handle %lu ok\n", name, (unsigned long)h);
    return true;
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    if (!check_device("storage0") || !check_device("storage62"))
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
