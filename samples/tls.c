/*
 * tls: two TLS blocks and a switch of the FS base between them. `with_init`
 * lives in .tdata (initial value 0xC0FFEE), `zeroed` in .tbss. Each block
 * must start from the initial image and keep its own values.
 * Run: tender tls.hvt                    → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

static __thread volatile uint32_t with_init = 0xC0FFEE;
static __thread volatile uint64_t zeroed;

static bool check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        return true;
    guest_printf("FAILURE: %s is 0x%lx, expected 0x%lx\n", what, got, want);
    return false;
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    size_t size = guest_tls_size();
    void *block_a = guest_alloc(size, GUEST_TLS_ALIGN);
    void *block_b = guest_alloc(size, GUEST_TLS_ALIGN);
    GUEST_ASSERT(block_a != NULL && block_b != NULL);
    uintptr_t tp_a = guest_tls_init(block_a);
    uintptr_t tp_b = guest_tls_init(block_b);

    guest_set_tls_base(tp_a);
    if (!check("A.with_init", with_init, 0xC0FFEE) || !check("A.zeroed", zeroed, 0))
        return GUEST_EXIT_FAILURE;
    with_init = 0xAAAA;
    zeroed = 0x1111;

    guest_set_tls_base(tp_b);
    if (!check("B.with_init", with_init, 0xC0FFEE) || !check("B.zeroed", zeroed, 0))
        return GUEST_EXIT_FAILURE;
    with_init = 0xBBBB;
    zeroed = 0x2222;

    guest_set_tls_base(tp_a);
    if (!check("A.with_init again", with_init, 0xAAAA) || !check("A.zeroed again", zeroed, 0x1111))
        return GUEST_EXIT_FAILURE;
    guest_set_tls_base(tp_b);
    if (!check("B.with_init again", with_init, 0xBBBB) || !check("B.zeroed again", zeroed, 0x2222))
        return GUEST_EXIT_FAILURE;

    /* The thread pointer word holds its own address. */
    uint64_t self;
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(self));
    if (!check("%fs:0", self, tp_b))
        return GUEST_EXIT_FAILURE;

    guest_set_tls_base(0);
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
