/*
 * ud: executes ud2 → #UD → the runtime reports the trap and aborts.
 * Run: tender ud.hvt                     → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Executing ud2\n");
    __asm__ __volatile__("ud2");
    guest_puts("FAILURE: ud2 did not trap\n");
    return GUEST_EXIT_FAILURE;
}
