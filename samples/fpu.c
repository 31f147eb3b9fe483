/*
 * fpu: SSE works. movaps/mulps on a 16-byte-aligned stack array, then scalar
 * float and double arithmetic compiled to SSE (mulss, mulsd, divsd, ucomis*).
 * Run: tender fpu.hvt                    → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

static volatile float scalar_a = 1.5f, scalar_b = 2.5f;
static volatile double double_a = 3.0, double_b = 0.25;

int guest_main(const char *cmdline)
{
    (void)cmdline;
    float values[4] __attribute__((aligned(16))) = { 1.0f, 2.0f, 3.0f, 4.0f };
    float factors[4] __attribute__((aligned(16))) = { 2.0f, 3.0f, 4.0f, 0.5f };
    const float expected[4] = { 2.0f, 6.0f, 12.0f, 2.0f };

    __asm__ __volatile__("movaps %0, %%xmm0\n\t"
                         "movaps %1, %%xmm1\n\t"
                         "mulps %%xmm1, %%xmm0\n\t"
                         "movaps %%xmm0, %0"
                         : "+m"(values)
                         : "m"(factors)
                         : "xmm0", "xmm1");
    for (int i = 0; i < 4; i++) {
        if (values[i] != expected[i]) {
            guest_printf("FAILURE: mulps lane %d wrong\n", i);
            return GUEST_EXIT_FAILURE;
        }
    }

    float product = scalar_a * scalar_b;            /* 3.75 */
    if (product != 3.75f || !(product > 3.5f)) {
        guest_puts("FAILURE: scalar float multiply\n");
        return GUEST_EXIT_FAILURE;
    }
    double quotient = double_a / double_b;           /* 12.0 */
    double mixed = quotient * (double)scalar_a;      /* 18.0 */
    if (quotient != 12.0 || mixed != 18.0 || (int)mixed != 18) {
        guest_puts("FAILURE: double arithmetic\n");
        return GUEST_EXIT_FAILURE;
    }
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
