/*
 * pingd: ARP and ICMP echo replies, written for clarity; frames are edited in
 * place and sent back.
 */
#include "pingd.h"

#define ETH_HLEN        14
#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_ARP   0x0806
#define ARP_LEN         28
#define ARP_REQUEST     1
#define ARP_REPLY       2
#define IP_PROTO_ICMP   1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO       8

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) of `len` bytes. */
static uint16_t inet_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (; len > 1; len -= 2, p += 2)
        sum += get16(p);
    if (len == 1)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void eth_header(uint8_t *frame, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    put16(frame + 12, type);
}

/* ARP packet body: Ethernet/IPv4 operation `op`. */
static void arp_body(uint8_t *arp, uint16_t op, const uint8_t sha[6], const uint8_t spa[4],
                     const uint8_t tha[6], const uint8_t tpa[4])
{
    put16(arp, 1);                       /* hardware: Ethernet */
    put16(arp + 2, ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp + 6, op);
    memcpy(arp + 8, sha, 6);
    memcpy(arp + 14, spa, 4);
    memcpy(arp + 18, tha, 6);
    memcpy(arp + 24, tpa, 4);
}

static bool send_frame(struct pingd *p, const uint8_t *frame, size_t len)
{
    int rc = guest_net_write(p->handle, frame, len);
    if (rc != GUEST_OK) {
        guest_printf("FAILURE: %s: net write returned %d\n", p->device, rc);
        return false;
    }
    return true;
}

static bool handle_arp(struct pingd *p, uint8_t *frame, size_t len)
{
    uint8_t *arp = frame + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || get16(arp) != 1 || get16(arp + 2) != ETHERTYPE_IPV4 ||
        arp[4] != 6 || arp[5] != 4 || get16(arp + 6) != ARP_REQUEST ||
        memcmp(arp + 24, p->ip, 4) != 0)
        return true;
    uint8_t asker_mac[6], asker_ip[4];
    memcpy(asker_mac, arp + 8, 6);
    memcpy(asker_ip, arp + 14, 4);
    eth_header(frame, asker_mac, p->info.mac, ETHERTYPE_ARP);
    arp_body(arp, ARP_REPLY, p->info.mac, p->ip, asker_mac, asker_ip);
    return send_frame(p, frame, ETH_HLEN + ARP_LEN);
}

static bool handle_ipv4(struct pingd *p, uint8_t *frame, size_t len)
{
    uint8_t *ip = frame + ETH_HLEN;
    if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4)
        return true;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || total > len - ETH_HLEN || ip[9] != IP_PROTO_ICMP ||
        memcmp(ip + 16, p->ip, 4) != 0)
        return true;
    uint8_t *icmp = ip + ihl;
    size_t icmp_len = total - ihl;
    if (icmp[0] != ICMP_ECHO || icmp[1] != 0)
        return true;
    p->echo_requests++;

    /* Echo reply: same payload, addresses swapped, checksums recomputed. */
    icmp[0] = ICMP_ECHO_REPLY;
    put16(icmp + 2, 0);
    put16(icmp + 2, inet_checksum(icmp, icmp_len));
    memcpy(ip + 16, ip + 12, 4);
    memcpy(ip + 12, p->ip, 4);
    ip[8] = 64;                          /* TTL */
    put16(ip + 10, 0);
    put16(ip + 10, inet_checksum(ip, ihl));
    uint8_t peer[6];
    memcpy(peer, frame + 6, 6);
    eth_header(frame, peer, p->info.mac, ETHERTYPE_IPV4);
    return send_frame(p, frame, ETH_HLEN + total);
}

bool pingd_start(struct pingd *p, const char *device, const uint8_t ip[4])
{
    p->device = device;
    p->echo_requests = 0;
    memcpy(p->ip, ip, 4);
    if (guest_net_acquire(device, &p->handle, &p->info) != GUEST_OK) {
        guest_printf("FAILURE: no net device '%s'\n", device);
        return false;
    }
    p->frame_size = p->info.mtu + ETH_HLEN;
    p->frame = guest_alloc(p->frame_size, 16);
    if (p->frame == NULL) {
        guest_puts("FAILURE: no memory for the frame buffer\n");
        return false;
    }
    const uint8_t *m = p->info.mac;
    guest_printf("%s: handle %lu, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %lu, serving %u.%u.%u.%u\n",
                 device, (unsigned long)p->handle, m[0], m[1], m[2], m[3], m[4], m[5],
                 (unsigned long)p->info.mtu, ip[0], ip[1], ip[2], ip[3]);

    /* Gratuitous ARP: a broadcast request for our own address. */
    static const uint8_t zero_mac[6];
    uint8_t garp[ETH_HLEN + ARP_LEN];
    eth_header(garp, broadcast, p->info.mac, ETHERTYPE_ARP);
    arp_body(garp + ETH_HLEN, ARP_REQUEST, p->info.mac, p->ip, zero_mac, p->ip);
    return send_frame(p, garp, sizeof(garp));
}

bool pingd_drain(struct pingd *p)
{
    for (;;) {
        size_t len = 0;
        int rc = guest_net_read(p->handle, p->frame, p->frame_size, &len);
        if (rc == GUEST_AGAIN)
            return true;
        if (rc != GUEST_OK) {
            guest_printf("FAILURE: %s: net read returned %d\n", p->device, rc);
            return false;
        }
        if (len < ETH_HLEN)
            continue;
        uint16_t type = get16(p->frame + 12);
        bool ok = true;
        if (type == ETHERTYPE_ARP)
            ok = handle_arp(p, p->frame, len);
        else if (type == ETHERTYPE_IPV4)
            ok = handle_ipv4(p, p->frame, len);
        if (!ok)
            return false;
    }
}
