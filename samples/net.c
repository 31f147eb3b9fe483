/*
 * net: ARP + ICMP echo responder for 10.0.0.2 on device "service0". Sends a
 * gratuitous ARP at start, then sleeps in POLL and drains the device whenever
 * its ready bit is set. With the argument `limit` it prints SUCCESS and exits
 * 0 after 100000 echo requests; without it, it serves forever.
 * Run: tender --net:service0=tap100 net.hvt limit   (host: 10.0.0.1/24,
 *      then ping -f -c 100000 10.0.0.2)              → SUCCESS, exit 0
 */
#include "pingd.h"

GUEST_MANIFEST(GUEST_DEV_NET("service0"));

#define ECHO_LIMIT 100000

int guest_main(const char *cmdline)
{
    static const uint8_t address[4] = { 10, 0, 0, 2 };
    bool limit = strcmp(cmdline, "limit") == 0;
    struct pingd service;

    if (!pingd_start(&service, "service0", address))
        return GUEST_EXIT_FAILURE;
    for (;;) {
        uint64_t ready = 0;
        guest_yield(guest_clock_monotonic() + GUEST_NSEC_PER_SEC, &ready);
        if ((ready & (1ULL << service.handle)) && !pingd_drain(&service))
            return GUEST_EXIT_FAILURE;
        if (limit && service.echo_requests >= ECHO_LIMIT) {
            guest_printf("Received %lu echo requests\n", (unsigned long)service.echo_requests);
            guest_puts("SUCCESS\n");
            return GUEST_EXIT_SUCCESS;
        }
    }
}
