/*
 * zeropage: writes to address 8, in the unmapped first page → #PF ec=0x2,
 * cr2=0x8 → the runtime reports the trap and aborts.
 * Run: tender zeropage.hvt               → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

/* Volatile so the compiler cannot see (and warn about) the constant address. */
static volatile uintptr_t target = 8;

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Writing to address 8\n");
    *(volatile int *)target = 1;
    guest_puts("FAILURE: the write did not fault\n");
    return GUEST_EXIT_FAILURE;
}
