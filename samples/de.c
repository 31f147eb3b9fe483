/*
 * de: divides by zero → #DE → the runtime reports the trap and aborts.
 * Run: tender de.hvt                     → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

static volatile unsigned divisor = 0;

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Dividing by zero\n");
    unsigned quotient = 1000u / divisor;
    guest_printf("FAILURE: 1000 / 0 gave %u without a trap\n", quotient);
    return GUEST_EXIT_FAILURE;
}
