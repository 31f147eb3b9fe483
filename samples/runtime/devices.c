/*
 * Block and net devices. The tender copies its (filled-in) manifest into
 * read-only low memory; a device's handle is its index there. The helpers
 * check what the ABI leaves to the guest (single-block, aligned block I/O)
 * and otherwise pass requests straight to the hypercalls.
 */
#include "internal.h"

static const struct mft *manifest;

void devices_init(const struct mft *mft)
{
    manifest = mft;
}

/* The manifest entry for `handle` if it exists and has `type`, else NULL. */
static const struct mft_entry *device_lookup(guest_handle_t handle, uint32_t type)
{
    if (manifest == NULL || handle == 0 || handle >= manifest->header.entries ||
        handle >= MFT_MAX_ENTRIES)
        return NULL;
    const struct mft_entry *e = &manifest->e[handle];
    return e->type == type ? e : NULL;
}

/* Handle of the entry named `name` with `type`, or 0 if none. */
static guest_handle_t device_find(const char *name, uint32_t type)
{
    if (manifest == NULL)
        return 0;
    for (guest_handle_t h = 1; h < manifest->header.entries && h < MFT_MAX_ENTRIES; h++) {
        const struct mft_entry *e = &manifest->e[h];
        if (e->type == type && strncmp(e->name, name, MFT_NAME_SIZE) == 0)
            return h;
    }
    return 0;
}

/* ---- Block ------------------------------------------------------------ */

int guest_block_acquire(const char *name, guest_handle_t *handle, struct guest_block_info *info)
{
    guest_handle_t h = device_find(name, MFT_DEV_BLOCK_BASIC);
    if (h == 0)
        return GUEST_EINVAL;
    const struct mft_entry *e = &manifest->e[h];
    *handle = h;
    info->capacity = e->u.block.capacity;
    info->block_size = e->u.block.block_size;
    return GUEST_OK;
}

static bool block_request_ok(guest_handle_t handle, uint64_t offset, size_t size)
{
    const struct mft_entry *e = device_lookup(handle, MFT_DEV_BLOCK_BASIC);
    if (e == NULL || e->u.block.block_size == 0)
        return false;
    return size == e->u.block.block_size && offset % e->u.block.block_size == 0;
}

int guest_block_write(guest_handle_t handle, uint64_t offset, const void *buf, size_t size)
{
    if (!block_request_ok(handle, offset, size))
        return GUEST_EINVAL;
    struct hvt_hc_block req = {
        .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = size,
    };
    hvt_hypercall(HVT_HC_BLOCK_WRITE, &req);
    return req.ret;
}

int guest_block_read(guest_handle_t handle, uint64_t offset, void *buf, size_t size)
{
    if (!block_request_ok(handle, offset, size))
        return GUEST_EINVAL;
    struct hvt_hc_block req = {
        .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = size,
    };
    hvt_hypercall(HVT_HC_BLOCK_READ, &req);
    return req.ret;
}

/* ---- Net -------------------------------------------------------------- */

int guest_net_acquire(const char *name, guest_handle_t *handle, struct guest_net_info *info)
{
    guest_handle_t h = device_find(name, MFT_DEV_NET_BASIC);
    if (h == 0)
        return GUEST_EINVAL;
    const struct mft_entry *e = &manifest->e[h];
    *handle = h;
    memcpy(info->mac, e->u.net.mac, sizeof(info->mac));
    info->mtu = e->u.net.mtu;
    return GUEST_OK;
}

int guest_net_write(guest_handle_t handle, const void *frame, size_t size)
{
    if (device_lookup(handle, MFT_DEV_NET_BASIC) == NULL)
        return GUEST_EINVAL;
    struct hvt_hc_net req = {
        .handle = handle, .data = (uint64_t)(uintptr_t)frame, .len = size,
    };
    hvt_hypercall(HVT_HC_NET_WRITE, &req);
    return req.ret;
}

int guest_net_read(guest_handle_t handle, void *buf, size_t size, size_t *read_size)
{
    if (device_lookup(handle, MFT_DEV_NET_BASIC) == NULL)
        return GUEST_EINVAL;
    struct hvt_hc_net req = {
        .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = size,
    };
    hvt_hypercall(HVT_HC_NET_READ, &req);
    if (req.ret == GUEST_OK && read_size != NULL)
        *read_size = req.len;
    return req.ret;
}
