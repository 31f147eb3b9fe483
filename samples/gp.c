/*
 * gp: loads DS with selector 0x30, which lies beyond the runtime's 5-entry
 * GDT → #GP ec=0x30 → the runtime reports the trap and aborts.
 * Run: tender gp.hvt                     → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Loading DS with the invalid selector 0x30\n");
    __asm__ __volatile__("movw %w0, %%ds" : : "r"(0x30) : "memory");
    guest_puts("FAILURE: the load did not trap\n");
    return GUEST_EXIT_FAILURE;
}
