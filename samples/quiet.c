/*
 * quiet: prints only SUCCESS. Run with `--quiet` the whole output must be
 * "SUCCESS\n": the runtime's "guest: " lines (banner, memory map, exit) are
 * all silenced.
 * Run: tender quiet.hvt --quiet          → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
