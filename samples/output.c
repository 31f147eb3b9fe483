/*
 * output: one PUTS hypercall of about 4 KiB: 64 numbered lines, each ending
 * with the number of characters written up to and including that line
 * ("(64 characters)" ... "(4096 characters)"), then SUCCESS.
 * Run: tender output.hvt                 → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

#define LINES     64
#define LINE_SIZE 64          /* every line is exactly this long, newline included */

static char text[LINES * LINE_SIZE + 1];

int guest_main(const char *cmdline)
{
    (void)cmdline;
    char *p = text;
    for (int i = 1; i <= LINES; i++) {
        /* "line NN " + dots + " (NNNN characters)\n" = LINE_SIZE bytes */
        int head = guest_snprintf(p, LINE_SIZE, "line %02d ", i);
        char tail[32];
        int tail_len = guest_snprintf(tail, sizeof(tail), " (%4d characters)\n", i * LINE_SIZE);
        memset(p + head, '.', (size_t)(LINE_SIZE - head - tail_len));
        memcpy(p + LINE_SIZE - tail_len, tail, (size_t)tail_len);
        p += LINE_SIZE;
    }
    guest_write(text, (size_t)(p - text));
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
