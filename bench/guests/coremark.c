/*
 * CoreMark-class integer mix, four kernels in the spirit of CoreMark's iteration (our own code):
 * linked-list operations, a small integer matrix multiply, a state machine scanning a string of
 * numbers, and CRC16/CRC32 over a buffer.
 */
#include "bench.h"

/* ---- linked list: build, reverse, merge sort, search ---- */

#define LIST_NODES 2000

struct node {
    struct node *next;
    int32_t key;
    int32_t value;
};

static struct node pool[LIST_NODES];

static struct node *list_build(uint64_t seed)
{
    uint64_t x = seed | 1;
    struct node *head = 0;
    for (int i = 0; i < LIST_NODES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pool[i].key = (int32_t)(x & 0xFFFF);
        pool[i].value = i;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_reverse(struct node *head)
{
    struct node *prev = 0;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

/* Bottom-up merge sort on keys (stable), as CoreMark does with its list. */
static struct node *list_sort(struct node *list)
{
    for (int width = 1;; width *= 2) {
        struct node *p = list, *tail = 0;
        list = 0;
        int merges = 0;
        while (p) {
            merges++;
            struct node *q = p;
            int psize = 0;
            for (int i = 0; i < width && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = width;
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q, q = q->next, qsize--;
                } else if (qsize == 0 || !q || p->key <= q->key) {
                    e = p, p = p->next, psize--;
                } else {
                    e = q, q = q->next, qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return list;
    }
}

static struct node *list_find(struct node *list, int32_t key)
{
    while (list && list->key != key)
        list = list->next;
    return list;
}

static uint64_t run_list(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        struct node *list = list_build(bench_seed);
        list = list_reverse(list);
        uint64_t h = 0;
        for (int i = 0; i < 64; i++) {
            struct node *n = list_find(list, (int32_t)(i * 1021 & 0xFFFF));
            h = bench_mix64(h, n ? (uint64_t)n->value : 0xFFFF);
        }
        list = list_sort(list);
        for (struct node *n = list; n; n = n->next)
            h = h * 31 + (uint64_t)n->key + ((uint64_t)n->value << 20);
        list = list_reverse(list);
        h = bench_mix64(h, (uint64_t)list->key);
        sum = h;
        BENCH_BARRIER();
    }
    return sum;
}

/* ---- matrix: 16-bit inputs, 32-bit products, like CoreMark's matrix part ---- */

#define MAT_N 48

static int16_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static int32_t mat_c[MAT_N][MAT_N];

static uint64_t run_matrix(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint32_t x = (uint32_t)bench_seed;
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++) {
                x = x * 1103515245u + 12345u;
                mat_a[i][j] = (int16_t)(x >> 16);
                mat_b[j][i] = (int16_t)((x >> 8) & 0x0FFF) - 0x800;
            }
        /* Add a constant, multiply by a constant, then a full matrix product. */
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++)
                mat_a[i][j] = (int16_t)(mat_a[i][j] + 7);
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++) {
                int32_t acc = 0;
                for (int k = 0; k < MAT_N; k++)
                    acc += (int32_t)mat_a[i][k] * mat_b[k][j];
                mat_c[i][j] = acc;
            }
        uint64_t h = 0;
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++)
                h = h * 0x100000001B3ull ^ (uint32_t)((mat_c[i][j] >> 3) & 0x7FFF);
        sum = h;
        BENCH_BARRIER();
    }
    return sum;
}

/* ---- state machine: classify the comma-separated tokens of a string ---- */

#define TEXT_LEN 8192

enum state { S_START, S_INT, S_FLOAT, S_EXP, S_EXP_SIGN, S_SCI, S_SIGN, S_DOT, S_INVALID, S_COUNT };

static char text[TEXT_LEN];

static void state_prepare(void)
{
    static const char *const pieces[] = { "5012", "1234", "-874", "+122", "35.54", "-1.5e3",
                                          "6E-12", "T0.3e-1F", "-", "+7.", "0x1f", "88888888" };
    size_t pos = 0;
    uint32_t x = 12345;
    while (pos < TEXT_LEN - 16) {
        x = x * 1664525u + 1013904223u;
        const char *s = pieces[(x >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
        while (*s && pos < TEXT_LEN - 2)
            text[pos++] = *s++;
        text[pos++] = ',';
    }
    text[pos] = 0;
}

static uint64_t scan(const char *s, uint32_t counts[S_COUNT])
{
    enum state st = S_START;
    uint64_t transitions = 0;
    for (;; s++) {
        char c = *s;
        if (c == ',' || c == 0) {
            counts[st]++;
            st = S_START;
            if (c == 0)
                return transitions;
            continue;
        }
        enum state next = st;
        int digit = c >= '0' && c <= '9';
        switch (st) {
        case S_START:
            next = digit ? S_INT : (c == '+' || c == '-') ? S_SIGN : c == '.' ? S_DOT : S_INVALID;
            break;
        case S_SIGN:
            next = digit ? S_INT : c == '.' ? S_DOT : S_INVALID;
            break;
        case S_INT:
            next = digit ? S_INT : c == '.' ? S_FLOAT : (c == 'e' || c == 'E') ? S_EXP : S_INVALID;
            break;
        case S_DOT:
            next = digit ? S_FLOAT : S_INVALID;
            break;
        case S_FLOAT:
            next = digit ? S_FLOAT : (c == 'e' || c == 'E') ? S_EXP : S_INVALID;
            break;
        case S_EXP:
            next = digit ? S_SCI : (c == '+' || c == '-') ? S_EXP_SIGN : S_INVALID;
            break;
        case S_EXP_SIGN:
        case S_SCI:
            next = digit ? S_SCI : S_INVALID;
            break;
        default:
            break;
        }
        transitions += next != st;
        st = next;
    }
}

static uint64_t run_state(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint32_t counts[S_COUNT] = { 0 };
        /* Corrupt a few characters (as CoreMark does), scan, then undo. */
        uint32_t x = (uint32_t)bench_seed;
        size_t where[8];
        char saved[8];
        for (int i = 0; i < 8; i++) {
            x = x * 1664525u + 1013904223u;
            where[i] = (x >> 8) % (TEXT_LEN - 32);
            saved[i] = text[where[i]];
            if (text[where[i]] != 0 && text[where[i]] != ',')
                text[where[i]] = (char)('0' + (x >> 28) % 10);
        }
        uint64_t h = scan(text, counts);
        for (int i = 7; i >= 0; i--)
            text[where[i]] = saved[i];
        h = bench_mix64(h, scan(text, counts));
        for (int i = 0; i < S_COUNT; i++)
            h = bench_mix64(h, counts[i]);
        sum = h;
        BENCH_BARRIER();
    }
    return sum;
}

/* ---- CRC16 (CCITT, bitwise) and CRC32 (reflected, table-driven) ---- */

#define CRC_LEN 16384

static uint8_t crc_data[CRC_LEN];
static uint32_t crc32_table[256];

static void crc_prepare(void)
{
    bench_fill_random(crc_data, CRC_LEN, 77);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc32_table[i] = c;
    }
}

static uint16_t crc16(const uint8_t *p, size_t n, uint16_t crc)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc32_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static uint64_t run_crc(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint16_t seed16 = (uint16_t)bench_seed;
        uint16_t c16 = crc16(crc_data, CRC_LEN / 4, seed16);
        uint32_t c32 = crc32(crc_data, CRC_LEN, c16);
        sum = ((uint64_t)c16 << 32) | c32;
        BENCH_BARRIER();
    }
    return sum;
}

struct bench_kernel bench_kernels[] = {
    { .name = "cm-list", .run = run_list },
    { .name = "cm-matrix", .run = run_matrix },
    { .name = "cm-state", .prepare = state_prepare, .run = run_state },
    { .name = "cm-crc", .prepare = crc_prepare, .run = run_crc },
    { 0 },
};
