/*
 * ssp: overflows an 8-byte stack buffer with strcpy. The stack protector
 * (global canary, set up by the runtime at boot) catches it on return:
 * "guest: ABORT: Stack corruption detected".
 * Run: tender ssp.hvt                    → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

static const char *volatile payload =
    "This string is much longer than the buffer it is copied into";

__attribute__((noinline)) static void smash(const char *s)
{
    char buffer[8];
    strcpy(buffer, s);
    guest_printf("Copied %u bytes into an 8-byte buffer\n", (unsigned)strlen(buffer));
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    smash(payload);
    guest_puts("FAILURE: the overflow was not detected\n");
    return GUEST_EXIT_FAILURE;
}
