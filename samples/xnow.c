/*
 * xnow: writes into its own .text. The guest page tables allow it; only the
 * tender can stop it (text is read-only on the host side), so the expected
 * result is the tender dying with "host/guest translation fault", exit 1.
 * If the write succeeds the sample prints FAILURE and exits 1.
 * Run: tender xnow.hvt                   → tender error, exit 1
 */
#include "guest.h"

GUEST_MANIFEST();

static int victim(void)
{
    return 42;
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    int (*volatile fn)(void) = victim;
    guest_printf("Writing to .text at %p\n", (void *)fn);
    *(volatile uint8_t *)(uintptr_t)fn = 0xC3;    /* ret */
    guest_puts("FAILURE: the write to .text was not stopped\n");
    return GUEST_EXIT_FAILURE;
}
