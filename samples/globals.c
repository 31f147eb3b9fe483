/*
 * globals: initialised .data is loaded and writable. "RUCCESS" is fixed up to
 * "SUCCESS" in place and printed; an initialised counter is read and updated.
 * Run: tender globals.hvt                → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

static char message[] = "RUCCESS\n";
static int counter = 41;

int guest_main(const char *cmdline)
{
    (void)cmdline;
    if (counter != 41) {
        guest_puts("FAILURE: .data not initialised\n");
        return GUEST_EXIT_FAILURE;
    }
    counter++;
    message[0] = 'S';
    if (counter != 42 || strcmp(message, "SUCCESS\n") != 0) {
        guest_puts("FAILURE: .data not writable\n");
        return GUEST_EXIT_FAILURE;
    }
    guest_puts(message);
    return GUEST_EXIT_SUCCESS;
}
