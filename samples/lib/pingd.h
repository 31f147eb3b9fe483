/*
 * pingd: a minimal ARP and ICMP echo responder on one net device, shared by
 * the net samples. It answers ARP requests for its IPv4 address and echo
 * requests addressed to it, and ignores every other frame.
 */
#ifndef PINGD_H
#define PINGD_H

#include "guest.h"

struct pingd {
    const char *device;
    guest_handle_t handle;
    struct guest_net_info info;
    uint8_t ip[4];
    uint8_t *frame;              /* receive buffer, reused for the reply */
    size_t frame_size;           /* mtu + Ethernet header */
    uint64_t echo_requests;      /* echo requests for our address so far */
};

/* Acquire `device`, allocate the frame buffer and announce `ip` with a
 * gratuitous ARP. Prints why and returns false on failure. */
bool pingd_start(struct pingd *p, const char *device, const uint8_t ip[4]);

/* Read and answer frames until the device has none queued. Returns false
 * (after printing why) on a device error. */
bool pingd_drain(struct pingd *p);

#endif /* PINGD_H */
