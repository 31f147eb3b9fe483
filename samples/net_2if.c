/*
 * net_2if: the net responder on two devices at once: "service0" answers for
 * 10.0.0.2 and "service1" for 10.1.0.2. One POLL covers both; each device is
 * drained when its own bit (1 << handle) is set in the ready set. With the
 * argument `limit` it prints SUCCESS and exits 0 once both together have seen
 * 100000 echo requests.
 * Run: tender --net:service0=tap100 --net:service1=tap101 net_2if.hvt limit
 *                                                    → SUCCESS, exit 0
 */
#include "pingd.h"

GUEST_MANIFEST(GUEST_DEV_NET("service0"), GUEST_DEV_NET("service1"));

#define ECHO_LIMIT 100000

int guest_main(const char *cmdline)
{
    static const uint8_t address0[4] = { 10, 0, 0, 2 };
    static const uint8_t address1[4] = { 10, 1, 0, 2 };
    bool limit = strcmp(cmdline, "limit") == 0;
    struct pingd services[2];

    if (!pingd_start(&services[0], "service0", address0) ||
        !pingd_start(&services[1], "service1", address1))
        return GUEST_EXIT_FAILURE;
    for (;;) {
        uint64_t ready = 0;
        guest_yield(guest_clock_monotonic() + GUEST_NSEC_PER_SEC, &ready);
        for (int i = 0; i < 2; i++) {
            if ((ready & (1ULL << services[i].handle)) && !pingd_drain(&services[i]))
                return GUEST_EXIT_FAILURE;
        }
        uint64_t total = services[0].echo_requests + services[1].echo_requests;
        if (limit && total >= ECHO_LIMIT) {
            guest_printf("Received %lu + %lu echo requests\n",
                         (unsigned long)services[0].echo_requests,
                         (unsigned long)services[1].echo_requests);
            guest_puts("SUCCESS\n");
            return GUEST_EXIT_SUCCESS;
        }
    }
}
