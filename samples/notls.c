/*
 * notls: reads %fs:0x28 while the FS base is 0 (the runtime's boot state) →
 * #PF ec=0x0, cr2=0x28 → the runtime reports the trap and aborts.
 * Run: tender notls.hvt                  → "ABORT", exit 255
 */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(const char *cmdline)
{
    (void)cmdline;
    uint64_t value;
    guest_puts("Reading %fs:0x28 with FS base 0\n");
    __asm__ __volatile__("movq %%fs:0x28, %0" : "=r"(value) : : "memory");
    guest_printf("FAILURE: read 0x%lx without a fault\n", value);
    return GUEST_EXIT_FAILURE;
}
