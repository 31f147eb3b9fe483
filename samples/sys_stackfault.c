/*
 * sys_stackfault: which exception a non-canonical address raises depends on
 * the segment of the access — #SS(0) for the stack segment, #GP(0) for the
 * others. The stack segment is SS for PUSH/POP/LEAVE/RET and for a memory
 * operand based on RSP or RBP (not R12/R13, and not RBP as an index). In
 * 64-bit mode ES/CS/SS/DS overrides are ignored for this too (as the hardware
 * shows: SS:[RBX] is #GP, DS:[RBP] is #SS); an FS or GS override makes an
 * RBP/RSP-based access #GP.
 * The #SS and #GP handlers run on an IST stack of their own (RSP itself may be
 * non-canonical), record vector, error code and RIP and resume at a recovery
 * address chosen by the probe.
 * Run: tender --mem=64 sys_stackfault.hvt    → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define IST_FAULT 6   /* the runtime uses IST1..3 */
#define NON_CANONICAL 0x0000800000000000ull

volatile uint64_t f_count, f_vector, f_ec, f_rip;
/* Where the handler resumes, and the probe's faulting instruction. */
volatile uint64_t f_resume, probe_at;

void ss_handler(void), gp_handler(void);
__asm__(".text\n"
        "ss_handler:\n\tpushq $12\n\tjmp fault_common\n"
        "gp_handler:\n\tpushq $13\n\tjmp fault_common\n"
        "fault_common:\n\t"
        "pushq %rax\n\t"
        "movq 8(%rsp), %rax\n\tmovq %rax, f_vector(%rip)\n\t"
        "movq 16(%rsp), %rax\n\tmovq %rax, f_ec(%rip)\n\t"
        "movq 24(%rsp), %rax\n\tmovq %rax, f_rip(%rip)\n\t"
        "incq f_count(%rip)\n\t"
        "movq f_resume(%rip), %rax\n\tmovq %rax, 24(%rsp)\n\t"
        "popq %rax\n\t"
        "addq $16, %rsp\n\t"   /* vector and error code */
        "iretq\n");

static uint8_t fault_stack[4096] __attribute__((aligned(16)));

/*
 * A probe: RBX, RBP, R12 and R13 hold the non-canonical value, RSP that plus
 * 16 when `on_stack` (so that a push is non-canonical too); `insn` is the
 * access. RSP and RBP are restored afterwards.
 */
#define PROBE(insn, on_stack)                                                    \
    __asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"                             \
                         "movq %%rax, f_resume(%%rip)\n\t"                       \
                         "leaq 2f(%%rip), %%rax\n\t"                             \
                         "movq %%rax, probe_at(%%rip)\n\t"                       \
                         "movq %%rsp, %%r14\n\t"                                 \
                         "movq %%rbp, %%r15\n\t"                                 \
                         "movq %0, %%rbx\n\t"                                    \
                         "movq %0, %%rbp\n\t"                                    \
                         "movq %0, %%r12\n\t"                                    \
                         "movq %0, %%r13\n\t"                                    \
                         ".if " #on_stack "\n\t"                                 \
                         "leaq 16(%0), %%rsp\n\t"                                \
                         ".endif\n"                                              \
                         "2:\t" insn "\n"                                        \
                         "1:\t"                                                  \
                         "movq %%r14, %%rsp\n\t"                                 \
                         "movq %%r15, %%rbp"                                     \
                         : : "r"(NON_CANONICAL)                                  \
                         : "rax", "rcx", "rbx", "r12", "r13", "r14", "r15", "memory", "cc")

static void expect(const char *what, uint64_t before, uint64_t vector)
{
    if (f_count == before) {
        guest_printf("FAILURE: %s did not fault\n", what);
        failures++;
        return;
    }
    if (f_vector != vector || f_ec != 0 || f_rip != probe_at) {
        guest_printf("FAILURE: %s: vector %lu ec=0x%lx rip=0x%lx, expected vector %lu ec=0 "
                     "rip=0x%lx\n", what, f_vector, f_ec, f_rip, vector, probe_at);
        failures++;
    }
}

#define CHECK(insn, on_stack, vector)          \
    do {                                       \
        uint64_t before = f_count;             \
        PROBE(insn, on_stack);                 \
        expect(insn, before, vector);          \
    } while (0)

int guest_main(const char *cmdline)
{
    (void)cmdline;
    uint64_t top = (uint64_t)(uintptr_t)(fault_stack + sizeof(fault_stack));
    memcpy(current_tss() + 0x24 + 8 * (IST_FAULT - 1), &top, 8);
    sys_idt_take_over();
    sys_set_gate(12, ss_handler, IST_FAULT, GATE_INTERRUPT);
    sys_set_gate(13, gp_handler, IST_FAULT, GATE_INTERRUPT);

    /* Stack segment: #SS(0). */
    CHECK("movq 8(%%rbp), %%rax", 0, 12);
    CHECK("movl %%eax, 4(%%rbp)", 0, 12);
    CHECK("addq $1, 16(%%rbp)", 0, 12);
    CHECK("movq (%%rbp,%%rbx), %%rax", 0, 12);
        CHECK("movq 16(%%rsp), %%rax", 1, 12);
    CHECK("movq %%rax, (%%rsp,%%rbx)", 1, 12);
    CHECK("pushq %%rax", 1, 12);
    CHECK("popq %%rax", 1, 12);
    CHECK("leave", 0, 12);
    CHECK("ret", 1, 12);
    /* ES/CS/SS/DS overrides are ignored in 64-bit mode, for this too. */
    CHECK("movq %%ds:8(%%rbp), %%rax", 0, 12);
    CHECK("movq %%es:16(%%rsp), %%rax", 1, 12);

    /* Other segments: #GP(0). */
    CHECK("movq (%%rbx), %%rax", 0, 13);
    CHECK("movq (%%rbx,%%rbp), %%rax", 0, 13);
    CHECK("movq 8(%%r12), %%rax", 0, 13);
    CHECK("movq 8(%%r13), %%rax", 0, 13);
    CHECK("movq %%ss:(%%rbx), %%rax", 0, 13);
    CHECK("movq %%fs:8(%%rbp), %%rax", 0, 13);
    CHECK("movq %%gs:16(%%rsp), %%rax", 1, 13);

    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
