/* The driver shared by all workloads: argument parsing, timing, the result line. */
#include "bench.h"

volatile uint64_t bench_seed = 0x9E3779B97F4A7C15ull;

static const char *current_kernel;
static int kernel_failed;

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void bench_print(const char *s)
{
    bench_write(s, str_len(s));
}

/* Appends text to a line buffer; lines are short and bounded by the caller. */
struct line {
    char buf[256];
    size_t len;
};

static void put_str(struct line *l, const char *s)
{
    while (*s && l->len < sizeof(l->buf) - 1)
        l->buf[l->len++] = *s++;
}

static void put_dec(struct line *l, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0 && l->len < sizeof(l->buf) - 1)
        l->buf[l->len++] = tmp[--n];
}

static void put_hex16(struct line *l, uint64_t v)
{
    for (int shift = 60; shift >= 0 && l->len < sizeof(l->buf) - 1; shift -= 4)
        l->buf[l->len++] = "0123456789abcdef"[(v >> shift) & 15];
}

static void emit(struct line *l)
{
    l->buf[l->len++] = '\n';
    bench_write(l->buf, l->len);
}

void bench_fail(const char *msg)
{
    struct line l = { .len = 0 };
    put_str(&l, "BENCH error ");
    put_str(&l, current_kernel ? current_kernel : "-");
    put_str(&l, ": ");
    put_str(&l, msg);
    emit(&l);
    kernel_failed = 1;
}

uint64_t bench_mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
    return h;
}

/* A 64-bit store into any byte buffer, without breaking the aliasing rules. */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

void bench_fill_random(void *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed | 1;
    uint8_t *p = buf;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *(unaligned_u64 *)(p + i) = x * 0x2545F4914F6CDD1Dull;
    }
    for (; i < len; i++)
        p[i] = (uint8_t)(i * 131u);
}

static int str_eq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return b[n] == 0;
}

static int run_kernel(struct bench_kernel *k, uint64_t reps)
{
    static uint8_t prepared[64];
    size_t index = (size_t)(k - bench_kernels);
    current_kernel = k->name;
    kernel_failed = 0;
    if (k->prepare && index < sizeof(prepared) && !prepared[index]) {
        k->prepare();
        prepared[index] = 1;
    }
    /*
     * One warm-up repetition first, not counted in ns: an emulator's own just-in-time compilation warms up on it
     * (and caches fill natively), so the timed repetitions measure the steady state.
     */
    uint64_t t0 = bench_now_ns();
    if (!kernel_failed)
        (void)k->run(1);
    uint64_t t1 = bench_now_ns();
    uint64_t checksum = 0;
    if (!kernel_failed)
        checksum = k->run(reps);
    uint64_t t2 = bench_now_ns();
    if (kernel_failed)
        return 1;
    struct line l = { .len = 0 };
    put_str(&l, "BENCH name=");
    put_str(&l, k->name);
    put_str(&l, " reps=");
    put_dec(&l, reps);
    put_str(&l, " ns=");
    put_dec(&l, t2 - t1);
    put_str(&l, " checksum=");
    put_hex16(&l, checksum);
    put_str(&l, " bytes=");
    put_dec(&l, k->bytes);
    put_str(&l, " insns=");
    put_dec(&l, k->insns);
    put_str(&l, " warmup=");
    put_dec(&l, t1 - t0);
    emit(&l);
    return 0;
}

int bench_main(const char *cmdline)
{
    const char *p = cmdline;
    int status = 0;
    int any = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *word = p;
        while (*p && *p != ' ' && *p != '=')
            p++;
        size_t name_len = (size_t)(p - word);
        uint64_t reps = 0;
        int digits = 0;
        if (*p == '=') {
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                reps = reps * 10 + (uint64_t)(*p - '0');
        }
        if (!digits || reps == 0 || (*p && *p != ' ')) {
            current_kernel = 0;
            bench_fail("arguments must be NAME=REPS with REPS >= 1");
            return 1;
        }
        struct bench_kernel *k = bench_kernels;
        while (k->name && !str_eq_n(word, k->name, name_len))
            k++;
        if (!k->name) {
            current_kernel = 0;
            bench_fail("unknown kernel name");
            return 1;
        }
        status |= run_kernel(k, reps);
        any = 1;
    }
    if (!any)
        for (struct bench_kernel *k = bench_kernels; k->name; k++)
            status |= run_kernel(k, 1);
    bench_print(status ? "BENCH done failed\n" : "BENCH done ok\n");
    return status;
}
