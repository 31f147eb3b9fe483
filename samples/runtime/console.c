/*
 * Console output: each write is one PUTS hypercall; the tender copies the
 * bytes to its stdout unchanged.
 */
#include "internal.h"

void guest_write(const char *buf, size_t len)
{
    struct hvt_hc_puts puts = { .data = (uint64_t)(uintptr_t)buf, .len = len };
    hvt_hypercall(HVT_HC_PUTS, &puts);
}

void guest_puts(const char *s)
{
    guest_write(s, strlen(s));
}

void runtime_log(const char *fmt, ...)
{
    va_list ap;

    if (guest_is_quiet())
        return;
    char line[256];
    size_t prefix = 7;
    memcpy(line, "guest: ", prefix);
    va_start(ap, fmt);
    int n = guest_vsnprintf(line + prefix, sizeof(line) - prefix, fmt, ap);
    va_end(ap);
    size_t len = prefix + ((size_t)n < sizeof(line) - prefix ? (size_t)n : sizeof(line) - prefix - 1);
    guest_write(line, len);
}
