/*
 * dumpcore: prints a line, then calls guest_abort(): HALT with status 255,
 * which makes a tender run with --dumpcore=DIR write DIR/core.<...>.
 * Run: tender --dumpcore=DIR dumpcore.hvt         → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Aborting on purpose to get a core dump\n");
    guest_abort();
}
