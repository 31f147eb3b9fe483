/*
 * sys_triple: loads an IDT with limit 0 and executes UD2. #UD cannot be
 * delivered (its gate is beyond the limit: #GP), neither can #GP nor the
 * resulting #DF, so the CPU shuts down: the tender must report a triple
 * fault and exit 1. Reaching the end prints FAILURE.
 * Run: tender --mem=64 sys_triple.hvt     → "triple fault" on stderr, exit 1
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_puts("Loading an empty IDT and executing ud2\n");
    struct sys_table_register idtr = { 0, 0 };
    __asm__ __volatile__("lidt %0\n\t"
                         "ud2"
                         : : "m"(idtr) : "memory");
    guest_puts("FAILURE: execution continued after ud2\n");
    return GUEST_EXIT_FAILURE;
}
