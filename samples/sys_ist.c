/*
 * sys_ist: IDT gates with their own stacks and IRETQ.
 *  - #BP (INT3) through an interrupt gate on IST4, #UD (UD2) through a trap
 *    gate on IST5, INT 0x80 through an interrupt gate with no IST;
 *  - each handler records its entry RSP, its own RFLAGS and the pushed
 *    frame; the checks: RSP is at the top of the expected stack (IST top, or
 *    the interrupted RSP aligned down to 16, minus the 40-byte frame), saved
 *    RIP is the next instruction for INT3 / INT 0x80 and the faulting one for
 *    #UD, CS=0x08, SS is the interrupted SS, saved RFLAGS has IF=1 (set by
 *    STI before the event), the handler runs with IF=0 behind interrupt
 *    gates and IF=1 behind the trap gate; IRETQ returns to normal flow;
 *  - an IRETQ through a hand-built frame loads new RFLAGS (CF, ZF, DF, OF).
 * Run: tender --mem=64 sys_ist.hvt        → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define RFLAGS_IF 0x200ull
#define IST_BP 4     /* the runtime uses IST1..3 */
#define IST_UD 5

/* Per handler: entry RSP, RFLAGS inside the handler, then RIP CS RFLAGS RSP SS. */
enum { REC_RSP, REC_FLAGS, REC_RIP, REC_CS, REC_RFLAGS, REC_OLD_RSP, REC_SS, REC_WORDS };
uint64_t rec_bp[REC_WORDS], rec_ud[REC_WORDS], rec_int80[REC_WORDS];

/* `skip` is added to the saved RIP: the length of UD2 for #UD. */
#define HANDLER(name, rec, skip)                 \
    ".globl " #name "\n" #name ":\n\t"           \
    "movq %rsp, " #rec "+0(%rip)\n\t"            \
    "pushq %rax\n\t"                             \
    "pushfq\n\t"                                 \
    "popq %rax\n\t"                              \
    "movq %rax, " #rec "+8(%rip)\n\t"            \
    "movq 8(%rsp), %rax\n\t"                     \
    "movq %rax, " #rec "+16(%rip)\n\t"           \
    "movq 16(%rsp), %rax\n\t"                    \
    "movq %rax, " #rec "+24(%rip)\n\t"           \
    "movq 24(%rsp), %rax\n\t"                    \
    "movq %rax, " #rec "+32(%rip)\n\t"           \
    "movq 32(%rsp), %rax\n\t"                    \
    "movq %rax, " #rec "+40(%rip)\n\t"           \
    "movq 40(%rsp), %rax\n\t"                    \
    "movq %rax, " #rec "+48(%rip)\n\t"           \
    "addq $" #skip ", 8(%rsp)\n\t"               \
    "popq %rax\n\t"                              \
    "iretq\n"

void bp_handler(void), ud_handler(void), int80_handler(void);
__asm__(".text\n" HANDLER(bp_handler, rec_bp, 0) HANDLER(ud_handler, rec_ud, 2)
            HANDLER(int80_handler, rec_int80, 0));

static uint8_t bp_stack[4096] __attribute__((aligned(16)));
static uint8_t ud_stack[4096] __attribute__((aligned(16)));

static void set_ist(unsigned n, void *top)
{
    uint64_t v = (uint64_t)(uintptr_t)top;
    memcpy(current_tss() + 0x24 + 8 * (n - 1), &v, 8);
}

/* Checks of one handler's record. */
static void check_frame(const char *name, const uint64_t *rec, uint64_t want_rsp, uint64_t rip,
                        uint64_t old_rsp, uint64_t ss, bool if_in_handler)
{
    char what[64];
#define CHECK(label, got, want)                                      \
    guest_snprintf(what, sizeof(what), "%s: %s", name, label);       \
    check(what, got, want)
    CHECK("RSP in the handler", rec[REC_RSP], want_rsp);
    CHECK("saved RIP", rec[REC_RIP], rip);
    CHECK("saved CS", rec[REC_CS], SEL_CODE);
    CHECK("saved RFLAGS.IF", rec[REC_RFLAGS] & RFLAGS_IF, RFLAGS_IF);
    CHECK("saved RSP", rec[REC_OLD_RSP], old_rsp);
    CHECK("saved SS", rec[REC_SS], ss);
    CHECK("IF in the handler", rec[REC_FLAGS] & RFLAGS_IF, if_in_handler ? RFLAGS_IF : 0);
#undef CHECK
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    sys_idt_take_over();
    set_ist(IST_BP, bp_stack + sizeof(bp_stack));
    set_ist(IST_UD, ud_stack + sizeof(ud_stack));
    sys_set_gate(3, bp_handler, IST_BP, GATE_INTERRUPT);
    sys_set_gate(6, ud_handler, IST_UD, GATE_TRAP);
    sys_set_gate(0x80, int80_handler, 0, GATE_INTERRUPT);
    uint64_t ss, rsp, rip, after;
    __asm__ __volatile__("movq %%ss, %0" : "=r"(ss));

    __asm__ __volatile__("sti\n\t"
                         "movq %%rsp, %0\n\t"
                         "leaq 1f(%%rip), %1\n\t"
                         "int3\n"
                         "1:\n\t"
                         "pushfq\n\t"
                         "popq %2\n\t"
                         "cli"
                         : "=&r"(rsp), "=&r"(rip), "=r"(after) : : "memory");
    check_frame("#BP", rec_bp, (uint64_t)(uintptr_t)(bp_stack + sizeof(bp_stack)) - 40, rip, rsp,
                ss, false);
    check("#BP: IF after IRETQ", after & RFLAGS_IF, RFLAGS_IF);

    __asm__ __volatile__("sti\n\t"
                         "movq %%rsp, %0\n\t"
                         "leaq 1f(%%rip), %1\n"
                         "1:\n\t"
                         "ud2\n\t"
                         "pushfq\n\t"
                         "popq %2\n\t"
                         "cli"
                         : "=&r"(rsp), "=&r"(rip), "=r"(after) : : "memory");
    check_frame("#UD", rec_ud, (uint64_t)(uintptr_t)(ud_stack + sizeof(ud_stack)) - 40, rip, rsp,
                ss, true);
    check("#UD: IF after IRETQ", after & RFLAGS_IF, RFLAGS_IF);

    /* Misalign RSP by 8 first: the CPU aligns it to 16 before pushing. */
    __asm__ __volatile__("subq $8, %%rsp\n\t"
                         "sti\n\t"
                         "movq %%rsp, %0\n\t"
                         "leaq 1f(%%rip), %1\n\t"
                         "int $0x80\n"
                         "1:\n\t"
                         "pushfq\n\t"
                         "popq %2\n\t"
                         "cli\n\t"
                         "addq $8, %%rsp"
                         : "=&r"(rsp), "=&r"(rip), "=r"(after) : : "memory");
    check_frame("INT 0x80", rec_int80, (rsp & ~15ull) - 40, rip, rsp, ss, false);
    check("INT 0x80: IF after IRETQ", after & RFLAGS_IF, RFLAGS_IF);

    /* IRETQ to the next instruction with CF|ZF|DF|OF set in the new RFLAGS. */
    const uint64_t new_flags = 0x2 | 0x1 | 0x40 | 0x400 | 0x800;
    uint64_t rsp_after;
    __asm__ __volatile__("movq %%rsp, %%rdx\n\t"
                         "movq %%ss, %%rax\n\t"
                         "pushq %%rax\n\t"
                         "pushq %%rdx\n\t"
                         "pushq %[flags]\n\t"
                         "pushq %[cs]\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "iretq\n"
                         "1:\n\t"
                         "pushfq\n\t"
                         "popq %[after]\n\t"
                         "cld\n\t"
                         "movq %%rsp, %[rsp_after]\n\t"
                         "subq %%rdx, %[rsp_after]"
                         : [after] "=&r"(after), [rsp_after] "=&r"(rsp_after)
                         : [flags] "r"(new_flags), [cs] "i"(SEL_CODE)
                         : "rax", "rdx", "cc", "memory");
    check("RFLAGS after the hand-made IRETQ", after, new_flags);
    check("RSP change across the hand-made IRETQ", rsp_after, 0);

    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
