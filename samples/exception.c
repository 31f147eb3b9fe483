/*
 * exception: writes to 0x400000000 (16 GiB, not mapped) → #PF ec=0x2,
 * cr2=0x400000000 → the runtime reports the trap and aborts.
 * Run: tender exception.hvt              → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Writing to unmapped memory at 0x400000000\n");
    *(volatile int *)0x400000000ULL = 1;
    guest_puts("FAILURE: the write did not fault\n");
    return GUEST_EXIT_FAILURE;
}
