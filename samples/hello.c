/*
 * hello: boots, prints its command line and succeeds only if the command line
 * is exactly "Hello_Solo5".
 * Run: tender hello.hvt Hello_Solo5      → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    guest_puts("\n**** Tender hello ****\n\n");
    guest_printf("Hello, World\nCommand line is: '%s'\n", cmdline);
    if (strcmp(cmdline, "Hello_Solo5") != 0) {
        guest_puts("FAILURE: expected the command line 'Hello_Solo5'\n");
        return GUEST_EXIT_FAILURE;
    }
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
