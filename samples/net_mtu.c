/*
 * net_mtu: prints the MTU the tender put in the manifest for "service0"
 * ("MTU is <n>") and SUCCESS.
 * Run: tender --net:service0=tap102 net_mtu.hvt  (tap102 MTU 9000)
 *                                       → "MTU is 9000", SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST(GUEST_DEV_NET("service0"));

int guest_main(const char *cmdline)
{
    (void)cmdline;
    guest_handle_t handle;
    struct guest_net_info info;

    if (guest_net_acquire("service0", &handle, &info) != GUEST_OK) {
        guest_puts("FAILURE: no net device 'service0'\n");
        return GUEST_EXIT_FAILURE;
    }
    guest_printf("MTU is %lu\n", (unsigned long)info.mtu);
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
