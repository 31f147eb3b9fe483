/*
 * Thread-local storage, x86-64 variant II: the thread pointer (FS base)
 * points just past the TLS image and at a word holding its own address;
 * compiled code reaches variables at negative offsets from %fs. The linker
 * places variable V at tp - round_up(tls_memsz, align) + offset(V), with the
 * alignment pinned to GUEST_TLS_ALIGN by hvt.ld.
 */
#include "internal.h"

#define IA32_FS_BASE 0xC0000100u

static size_t tls_image_size(void)
{
    size_t memsz = (size_t)(__tls_end - __tdata_start);
    return (memsz + GUEST_TLS_ALIGN - 1) & ~(size_t)(GUEST_TLS_ALIGN - 1);
}

size_t guest_tls_size(void)
{
    return tls_image_size() + sizeof(uintptr_t);
}

uintptr_t guest_tls_init(void *block)
{
    size_t tdata_size = (size_t)(__tdata_end - __tdata_start);
    size_t image_size = tls_image_size();
    uint8_t *base = block;

    GUEST_ASSERT(((uintptr_t)block & (GUEST_TLS_ALIGN - 1)) == 0);
    memcpy(base, __tdata_start, tdata_size);
    memset(base + tdata_size, 0, image_size - tdata_size);
    uintptr_t tp = (uintptr_t)(base + image_size);
    *(uintptr_t *)tp = tp;
    return tp;
}

void guest_set_tls_base(uintptr_t tp)
{
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(IA32_FS_BASE), "a"((uint32_t)tp), "d"((uint32_t)(tp >> 32))
                         : "memory");
}
