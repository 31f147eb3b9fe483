/*
 * runtime_boot: the C half of start-up, called by _start once the canary and
 * FS base are set. Runs each boot step, then the program.
 */
#include "internal.h"

_Noreturn void runtime_boot(const struct hvt_boot_info *bi);

_Noreturn void runtime_boot(const struct hvt_boot_info *bi)
{
    cpu_init();
    const char *cmdline = cmdline_parse((const char *)(uintptr_t)bi->cmdline);
    runtime_log("Tender guest runtime, Solo5 hvt ABI %u\n", HVT_ABI_VERSION);
    heap_init(bi->mem_size);
    clock_init(bi->cpu_cycle_freq);
    devices_init((const struct mft *)(uintptr_t)bi->mft);
    guest_exit(guest_main(cmdline));
}
