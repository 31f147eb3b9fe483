/*
 * sys_smc: self-modifying code in a heap buffer (writable and executable at
 * boot; .text is read-only on the host side, see xnow).
 *  - a copied function `mov $imm32, %eax; ret` returns its immediate; after
 *    the immediate is patched the next call returns the new value;
 *  - the same function called in a loop (so already decoded), patched
 *    between calls: every call returns the value of the latest patch;
 *  - a function that stores into its own next instruction's immediate and
 *    then executes it returns the value just stored (a write to code already
 *    fetched ahead takes effect before it runs), on every call of a loop;
 *  - replacing a whole instruction (`ret` at the start) takes effect too.
 * Run: tender --mem=64 sys_smc.hvt        → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

/* Templates, copied to the heap before use. */
extern const uint8_t imm_fn[], imm_fn_end[], self_fn[], self_fn_end[];
__asm__(".section .rodata\n"
        "imm_fn:\n\t"
        "movl $0x11111111, %eax\n\t"      /* B8 imm32: the immediate is at +1 */
        "ret\n"
        "imm_fn_end:\n"
        "self_fn:\n\t"
        "movl %edi, 2f+1(%rip)\n"         /* store the argument as the next mov's immediate */
        "2:\n\t"
        "movl $0, %eax\n\t"
        "ret\n"
        "self_fn_end:\n"
        ".text\n");

typedef uint32_t (*fn_t)(uint32_t);

static void patch32(volatile uint8_t *at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

static fn_t copy(const uint8_t *start, const uint8_t *end)
{
    uint8_t *buf = guest_alloc(256, 64);
    GUEST_ASSERT(buf != NULL);
    memcpy(buf, start, (size_t)(end - start));
    /* The compiler must not move the copy past the call. */
    __asm__ __volatile__("" : : : "memory");
    return (fn_t)(uintptr_t)buf;
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    char what[64];

    fn_t f = copy(imm_fn, imm_fn_end);
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)f;
    check("first call", f(0), 0x11111111);
    patch32(code + 1, 0x22222222);
    check("call after patching the immediate", f(0), 0x22222222);

    for (uint32_t i = 0; i < 20; i++) {
        uint32_t want = 0x22222222 + (i / 4);
        guest_snprintf(what, sizeof(what), "loop call %u", i);
        check(what, f(0), want);
        if (i % 4 == 3)
            patch32(code + 1, want + 1);   /* a function decoded several times already */
    }

    fn_t s = copy(self_fn, self_fn_end);
    for (uint32_t i = 0; i < 10; i++) {
        guest_snprintf(what, sizeof(what), "self-patching call %u", i);
        check(what, s(0xC0DE0000 + i), 0xC0DE0000 + i);
    }

    /* Replace the first instruction of f by `ret`: EAX is then whatever it was. */
    code[0] = 0xC3;
    uint32_t eax;
    __asm__ __volatile__("movl $0x5A5A5A5A, %%eax\n\t"
                         "call *%1"
                         : "=a"(eax) : "r"(f) : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                           "memory", "cc");
    check("call after the first instruction became ret", eax, 0x5A5A5A5A);
    code[0] = 0xB8;
    check("call after restoring mov", f(0), 0x22222222 + 5);

    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
