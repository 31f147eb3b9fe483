/*
 * Native engine for the benchmark workloads: a plain Linux program. Console is write(1), the
 * clock is CLOCK_MONOTONIC, and the block device is the file named by $BENCH_BLOCK_FILE with
 * blocks of $BENCH_BLOCK_SIZE bytes (default 512), used through pread/pwrite like the tender's
 * file-backed block device.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static int block_fd = -1;
static uint64_t block_capacity;
static uint64_t block_size;

void bench_write(const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int block_open(void)
{
    if (block_fd >= 0)
        return 0;
    const char *path = getenv("BENCH_BLOCK_FILE");
    if (!path)
        return -1;
    const char *size = getenv("BENCH_BLOCK_SIZE");
    block_size = size ? strtoull(size, NULL, 10) : 512;
    int fd = open(path, O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || block_size < 512 || st.st_size % (off_t)block_size) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    block_fd = fd;
    block_capacity = (uint64_t)st.st_size;
    return 0;
}

int bench_block_info(uint64_t *capacity, uint64_t *size)
{
    if (block_open() != 0)
        return -1;
    *capacity = block_capacity;
    *size = block_size;
    return 0;
}

static int block_request_ok(uint64_t offset, size_t len)
{
    return block_fd >= 0 && len == block_size && offset % block_size == 0 &&
           offset + len <= block_capacity;
}

int bench_block_write(uint64_t offset, const void *buf, size_t len)
{
    if (!block_request_ok(offset, len))
        return -1;
    return pwrite(block_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}

int bench_block_read(uint64_t offset, void *buf, size_t len)
{
    if (!block_request_ok(offset, len))
        return -1;
    return pread(block_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv)
{
    /* The hvt tender joins the arguments with single spaces; do the same. */
    static char cmdline[8192];
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + n + 2 > sizeof(cmdline))
            return 2;
        if (i > 1)
            cmdline[len++] = ' ';
        memcpy(cmdline + len, argv[i], n);
        len += n;
    }
    cmdline[len] = 0;
    return bench_main(cmdline);
}
