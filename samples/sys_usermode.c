/*
 * sys_usermode: ring 3 and alignment checking (#AC).
 *  - a GDT grown by a user data (0x2B) and a 64-bit user code (0x33)
 *    segment, TSS.RSP0 pointing at a kernel stack, pages for user code, data
 *    and stack mapped with U=1 (everything else, IDT/GDT/TSS and the kernel
 *    stack included, stays supervisor-only);
 *  - each probe enters ring 3 by IRETQ (CS=0x33, SS=0x2B, chosen RFLAGS),
 *    runs one access there and comes back through INT 0x80 (a DPL3 gate) or
 *    through the exception it raised; the kernel-side handler records the
 *    vector, error code and frame;
 *  - with CR0.AM=1 and RFLAGS.AC=1 at CPL 3, misaligned 2-, 4- and 8-byte
 *    loads and stores, a read-modify-write, a push on a misaligned stack and
 *    a load right after POPF set AC raise #AC with error code 0, the frame
 *    holding the faulting RIP, CS=0x33, SS=0x2B and RFLAGS with AC set;
 *  - aligned accesses, byte accesses and a misaligned 16-byte MOVUPS do not
 *    fault; neither do misaligned accesses with CR0.AM=0 or RFLAGS.AC=0 at
 *    CPL 3, nor with AM=1 and AC=1 at CPL 0;
 *  - a CPL 3 read of a supervisor page raises #PF with ec=0x5 (P|U);
 *  - LAR/LSL from ring 3 see the user segments (access rights, limit, ZF=1)
 *    but not DPL 0, null or out-of-GDT selectors (ZF=0, register kept);
 *  - LSS (m16:64), LFS (m16:32) and LGS (m16:16) load offset and segment at
 *    CPL 0, and LSS of a DPL 3 segment is #GP(selector).
 * Run: tender --mem=64 sys_usermode.hvt    → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define PTE_US   0x004ull
#define CR0_AM   (1ull << 18)
#define RFLAGS_AC 0x40000ull
#define RFLAGS_BASE 0x202ull           /* IF and the fixed bit */

#define SEL_USER_DATA 0x2B
#define SEL_USER_CODE 0x33

#define VA_USER_CODE  0x0000010000000000ull   /* 1 TiB */
#define VA_USER_DATA  (VA_USER_CODE + 0x1000)
#define VA_USER_STACK (VA_USER_CODE + 0x3000)  /* top of the page below */

#define VEC_RETURN 0x80   /* the probes' way back: INT 0x80 */

/* Filled by the kernel-side handlers: vector, error code, then the frame. */
volatile uint64_t ut_vector, ut_error, ut_rip, ut_cs, ut_rflags, ut_ss, ut_rax, ut_rcx;
/* The kernel context enter_user saves and the handlers return to. */
uint64_t kernel_rsp;

void enter_user(uint64_t entry, uint64_t user_rsp, uint64_t rflags, uint64_t arg);
uint64_t kernel_run(void (*fn)(void), uint64_t arg);
void misaligned_at_cpl0(void), lss_probe(void), lfs_probe(void), lgs16_probe(void);
void ac_entry(void), gp_entry(void), pf_entry(void), ss_entry(void), return_entry(void);

__asm__(".text\n"
        /* enter_user(entry, user_rsp, rflags, arg): callee-saved registers and
           RSP are kept for the handlers, then IRETQ to ring 3 with RDI = arg. */
        ".globl enter_user\n"
        "enter_user:\n\t"
        "pushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n\t"
        "movq %rsp, kernel_rsp(%rip)\n\t"
        "pushq $0x2B\n\t"
        "pushq %rsi\n\t"
        "pushq %rdx\n\t"
        "pushq $0x33\n\t"
        "pushq %rdi\n\t"
        "movq %rcx, %rdi\n\t"
        "iretq\n"
        /* kernel_run(fn, arg): calls fn with RDI = arg at CPL 0 under the same
           context saving, so that an exception in fn comes back here too; returns
           fn's RAX. */
        ".globl kernel_run\n"
        "kernel_run:\n\t"
        "pushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n\t"
        "movq %rsp, kernel_rsp(%rip)\n\t"
        "movq %rdi, %rax\n\t"
        "movq %rsi, %rdi\n\t"
        "call *%rax\n\t"
        "popq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n\t"
        "ret\n"
        /* Misaligned accesses at CPL 0 with AC set (RDI: a buffer). */
        "misaligned_at_cpl0:\n\t"
        "pushfq\n\torq $0x40000, (%rsp)\n\tpopfq\n\t"
        "movq 3(%rdi), %rax\n\t"
        "movl %eax, 9(%rdi)\n\t"
        "movw 1(%rdi), %ax\n\t"
        "pushfq\n\tandq $~0x40000, (%rsp)\n\tpopfq\n\t"
        "ret\n"
        /* Far-pointer loads from RDI: m16:64 into SS (SS restored to 0x10), m16:32
           into FS, m16:16 into GS (zero-extended); RAX = offset, RDX = the
           selector read back from the segment register. */
        "lss_probe:\n\t"
        ".byte 0x48, 0x0f, 0xb2, 0x07\n\t"   /* lss (%rdi), %rax with REX.W: as has no m16:64 form */
        "movq %ss, %rdx\n\t"
        "movw $0x10, %cx\n\tmovw %cx, %ss\n\t"
        "ret\n"
        "lfs_probe:\n\t"
        "lfs (%rdi), %eax\n\t"
        "movq %fs, %rdx\n\t"
        "ret\n"
        "lgs16_probe:\n\t"
        "xorl %eax, %eax\n\t"
        "lgs (%rdi), %ax\n\t"
        "movq %gs, %rdx\n\t"
        "ret\n"
        /* Entry points: exceptions with an error code push the vector only;
           INT 0x80 pushes a zero error code first. */
        "ac_entry:\n\tpushq $17\n\tjmp user_trap\n"
        "gp_entry:\n\tpushq $13\n\tjmp user_trap\n"
        "pf_entry:\n\tpushq $14\n\tjmp user_trap\n"
        "ss_entry:\n\tpushq $12\n\tjmp user_trap\n"
        "return_entry:\n\tpushq $0\n\tpushq $0x80\n\tjmp user_trap\n"
        /* Record the frame, then resume the kernel where enter_user left it. */
        "user_trap:\n\t"
        "movq %rax, ut_rax(%rip)\n\tmovq %rcx, ut_rcx(%rip)\n\t"
        "movq 0(%rsp), %rax\n\tmovq %rax, ut_vector(%rip)\n\t"
        "movq 8(%rsp), %rax\n\tmovq %rax, ut_error(%rip)\n\t"
        "movq 16(%rsp), %rax\n\tmovq %rax, ut_rip(%rip)\n\t"
        "movq 24(%rsp), %rax\n\tmovq %rax, ut_cs(%rip)\n\t"
        "movq 32(%rsp), %rax\n\tmovq %rax, ut_rflags(%rip)\n\t"
        "movq 48(%rsp), %rax\n\tmovq %rax, ut_ss(%rip)\n\t"
        "movw $0x10, %ax\n\tmovw %ax, %ss\n\t"
        "pushq $0\n\tpopfq\n\t"
        "movq kernel_rsp(%rip), %rsp\n\t"
        "popq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n\t"
        "ret\n");

/* The ring-3 probes, copied to the user code page: each takes its address in
 * RDI, makes one access, and returns with INT 0x80. The *_at labels mark the
 * access that may fault. */
extern const uint8_t user_begin[], user_end[];
extern const uint8_t p_load16[], p_load32[], p_load64[], p_store32[], p_store64[], p_load8[],
    p_add[], p_movups[], p_push[], p_push_at[], p_popf[], p_popf_at[], p_lar[], p_lsl[];
__asm__(".text\n"
        "user_begin:\n"
        "p_load16:\n\tmovw (%rdi), %ax\n\tint $0x80\n"
        "p_load32:\n\tmovl (%rdi), %eax\n\tint $0x80\n"
        "p_load64:\n\tmovq (%rdi), %rax\n\tint $0x80\n"
        "p_store32:\n\tmovl %eax, (%rdi)\n\tint $0x80\n"
        "p_store64:\n\tmovq %rax, (%rdi)\n\tint $0x80\n"
        "p_load8:\n\tmovb (%rdi), %al\n\tint $0x80\n"
        "p_add:\n\taddl $1, (%rdi)\n\tint $0x80\n"
        "p_movups:\n\tmovups (%rdi), %xmm0\n\tint $0x80\n"
        "p_push:\n\tmovq %rdi, %rsp\n"
        "p_push_at:\n\tpushq %rax\n\tint $0x80\n"
        "p_popf:\n\tpushfq\n\torq $0x40000, (%rsp)\n\tpopfq\n"
        "p_popf_at:\n\tmovl (%rdi), %eax\n\tint $0x80\n"
        /* LAR/LSL of selector RDI: RAX starts as a marker, RCX = ZF. */
        "p_lar:\n\tmovq $-1, %rax\n\tlar %edi, %eax\n\tsetz %cl\n\tmovzbl %cl, %ecx\n\tint $0x80\n"
        "p_lsl:\n\tmovq $-1, %rax\n\tlsl %edi, %eax\n\tsetz %cl\n\tmovzbl %cl, %ecx\n\tint $0x80\n"
        "user_end:\n");

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint64_t gdt[7] __attribute__((aligned(16)));
static uint64_t user_va(const uint8_t *label)
{
    return VA_USER_CODE + (uint64_t)(label - user_begin);
}

/* Runs probe `p` at CPL 3 with `rflags`, address `arg` in RDI. */
static uint64_t run_user(const uint8_t *p, uint64_t rflags, uint64_t arg)
{
    ut_vector = ~0ull;
    enter_user(user_va(p), VA_USER_STACK, rflags, arg);
    return ut_vector;
}

static void expect_return(const char *what, const uint8_t *p, uint64_t rflags, uint64_t arg)
{
    uint64_t v = run_user(p, rflags, arg);
    if (v == VEC_RETURN)
        return;
    guest_printf("FAILURE: %s: vector %lu (ec 0x%lx, rip 0x%lx) instead of returning\n", what, v,
                 ut_error, ut_rip);
    failures++;
}

static void expect_ac(const char *what, const uint8_t *p, const uint8_t *at, uint64_t rflags,
                      uint64_t arg)
{
    uint64_t v = run_user(p, rflags, arg);
    char label[80];
    guest_snprintf(label, sizeof(label), "%s: vector", what);
    check(label, v, 17);
    if (v != 17)
        return;
    guest_snprintf(label, sizeof(label), "%s: #AC error code", what);
    check(label, ut_error, 0);
    guest_snprintf(label, sizeof(label), "%s: saved RIP", what);
    check(label, ut_rip, user_va(at));
    guest_snprintf(label, sizeof(label), "%s: saved CS", what);
    check(label, ut_cs, SEL_USER_CODE);
    guest_snprintf(label, sizeof(label), "%s: saved SS", what);
    check(label, ut_ss, SEL_USER_DATA);
    guest_snprintf(label, sizeof(label), "%s: saved RFLAGS.AC", what);
    check(label, ut_rflags & RFLAGS_AC, RFLAGS_AC);
}

/* The runtime's GDT plus user data (index 5) and user code (index 6). */
static void install_user_segments(void)
{
    struct sys_table_register old;
    __asm__ __volatile__("sgdt %0" : "=m"(old));
    GUEST_ASSERT(old.limit + 1 == 5 * 8);
    memcpy(gdt, (const void *)(uintptr_t)old.base, 5 * 8);
    gdt[5] = 0x00CFF3000000FFFFull;   /* data, DPL3 */
    gdt[6] = 0x00AFFB000000FFFFull;   /* 64-bit code, DPL3 */
    struct sys_table_register gdtr = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
    __asm__ __volatile__("lgdt %0" : : "m"(gdtr) : "memory");
}

/* Maps `va` to a fresh zeroed page, user-accessible at every level. */
static uint8_t *map_user_page(uint64_t *pml4, uint64_t va)
{
    uint8_t *page = (uint8_t *)pt_new_table();
    pt_map_4k(pml4, va, (uint64_t)(uintptr_t)page, PTE_RW | PTE_US);
    for (int level = 4; level >= 2; level--)
        *pt_entry(pml4, va, level) |= PTE_US;
    return page;
}

/* LAR/LSL at CPL 3: what ring 3 may see of the GDT. */
static void check_lar_lsl(const char *what, uint64_t sel, uint64_t lar, uint64_t lsl)
{
    char label[80];
    bool visible = lar != ~0ull;
    guest_snprintf(label, sizeof(label), "LAR %s: vector", what);
    check(label, run_user(p_lar, RFLAGS_BASE, sel), VEC_RETURN);
    guest_snprintf(label, sizeof(label), "LAR %s: ZF", what);
    check(label, ut_rcx, visible);
    guest_snprintf(label, sizeof(label), "LAR %s: access rights", what);
    check(label, ut_rax, lar);
    guest_snprintf(label, sizeof(label), "LSL %s: vector", what);
    check(label, run_user(p_lsl, RFLAGS_BASE, sel), VEC_RETURN);
    guest_snprintf(label, sizeof(label), "LSL %s: ZF", what);
    check(label, ut_rcx, visible);
    guest_snprintf(label, sizeof(label), "LSL %s: limit", what);
    check(label, ut_rax, lsl);
}

/* A far pointer as LSS/LFS/LGS read it: the offset, then the selector. */
struct __attribute__((packed)) far64 { uint64_t offset; uint16_t selector; };
struct __attribute__((packed)) far32 { uint32_t offset; uint16_t selector; };
struct __attribute__((packed)) far16 { uint16_t offset; uint16_t selector; };

static void check_segment_instructions(void)
{
    /* LAR/LSL from ring 3: user segments are visible, DPL 0 ones and null are not. */
    check_lar_lsl("user code 0x33", SEL_USER_CODE, 0x00AFFB00, 0xFFFFFFFF);
    check_lar_lsl("user data 0x2B", SEL_USER_DATA, 0x00CFF300, 0xFFFFFFFF);
    check_lar_lsl("kernel code 0x08", SEL_CODE, ~0ull, ~0ull);
    check_lar_lsl("null selector", 0, ~0ull, ~0ull);
    check_lar_lsl("beyond the GDT limit", 0x38 | 3, ~0ull, ~0ull);

    /* LSS/LFS/LGS at CPL 0; FS/GS bases saved and restored around them. */
    uint64_t fs_base = rdmsr(MSR_FS_BASE), gs_base = rdmsr(MSR_GS_BASE);
    static struct far64 p64;
    static struct far32 p32;
    static struct far16 p16;
    uint64_t got;
    p64 = (struct far64){ 0x123456789ABCull, SEL_DATA };
    ut_vector = ~0ull;
    got = kernel_run(lss_probe, (uint64_t)(uintptr_t)&p64);
    check("LSS m16:64: vector", ut_vector, ~0ull);
    check("LSS m16:64: offset", got, 0x123456789ABCull);
    p32 = (struct far32){ 0x89ABCDEF, SEL_USER_DATA };
    got = kernel_run(lfs_probe, (uint64_t)(uintptr_t)&p32);
    check("LFS m16:32: vector", ut_vector, ~0ull);
    check("LFS m16:32: offset", got, 0x89ABCDEF);
    uint16_t fs;
    __asm__ __volatile__("movw %%fs, %0" : "=r"(fs));
    check("LFS m16:32: FS", fs, SEL_USER_DATA);
    p16 = (struct far16){ 0xBEEF, SEL_USER_DATA };
    got = kernel_run(lgs16_probe, (uint64_t)(uintptr_t)&p16);
    check("LGS m16:16: vector", ut_vector, ~0ull);
    check("LGS m16:16: offset", got, 0xBEEF);
    /* SS must have DPL = CPL: a user data segment is #GP(selector), nothing loaded. */
    p64 = (struct far64){ 0x1111, SEL_USER_DATA };
    kernel_run(lss_probe, (uint64_t)(uintptr_t)&p64);
    check("LSS of a DPL-3 segment at CPL 0: vector", ut_vector, 13);
    check("LSS of a DPL-3 segment at CPL 0: error code", ut_error, SEL_USER_DATA & ~3u);
    wrmsr(MSR_FS_BASE, fs_base);
    wrmsr(MSR_GS_BASE, gs_base);
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    uint64_t *pml4 = pt_identity(1 << 20);
    uint8_t *code = map_user_page(pml4, VA_USER_CODE);
    map_user_page(pml4, VA_USER_DATA);
    map_user_page(pml4, VA_USER_STACK - 0x1000);
    GUEST_ASSERT((size_t)(user_end - user_begin) <= 4096);
    memcpy(code, user_begin, (size_t)(user_end - user_begin));

    uint64_t rsp0 = (uint64_t)(uintptr_t)(kernel_stack + sizeof(kernel_stack));
    memcpy(current_tss() + 4, &rsp0, 8);
    install_user_segments();
    sys_idt_take_over();
    sys_set_gate(12, ss_entry, 0, GATE_INTERRUPT);
    sys_set_gate(13, gp_entry, 0, GATE_INTERRUPT);
    sys_set_gate(14, pf_entry, 0, GATE_INTERRUPT);
    sys_set_gate(17, ac_entry, 0, GATE_INTERRUPT);
    sys_set_gate(VEC_RETURN, return_entry, 0, GATE_INTERRUPT);
    sys_idt[VEC_RETURN].type_attr = 0xEE;   /* DPL3: INT 0x80 is allowed from ring 3 */
    write_cr3((uint64_t)(uintptr_t)pml4);

    const uint64_t ac = RFLAGS_BASE | RFLAGS_AC;
    const uint64_t data = VA_USER_DATA;

    /* Ring 3 works, and U/S is enforced there. */
    expect_return("aligned 4-byte load at CPL 3 (AM=0)", p_load32, RFLAGS_BASE, data);
    check("CPL 3 read of a supervisor page: vector", run_user(p_load32, RFLAGS_BASE,
                                                             (uint64_t)(uintptr_t)gdt), 14);
    check("CPL 3 read of a supervisor page: #PF error code", ut_error, 0x5);

    /* AM=0: AC alone checks nothing. */
    expect_return("misaligned 4-byte load, AC=1 but AM=0", p_load32, ac, data + 1);

    write_cr0(read_cr0() | CR0_AM);
    check("CR0.AM after setting it", read_cr0() & CR0_AM, CR0_AM);
    expect_return("misaligned 4-byte load, AM=1 but AC=0", p_load32, RFLAGS_BASE, data + 1);

    /* AM=1, AC=1, CPL 3: misaligned 2/4/8-byte accesses fault. */
    expect_ac("misaligned 2-byte load", p_load16, p_load16, ac, data + 1);
    expect_ac("misaligned 4-byte load", p_load32, p_load32, ac, data + 2);
    expect_ac("misaligned 8-byte load", p_load64, p_load64, ac, data + 4);
    expect_ac("misaligned 4-byte store", p_store32, p_store32, ac, data + 3);
    expect_ac("misaligned 8-byte store", p_store64, p_store64, ac, data + 12);
    expect_ac("misaligned 4-byte add to memory", p_add, p_add, ac, data + 6);
    expect_ac("8-byte load crossing into the next page", p_load64, p_load64, ac, data + 4092);
    expect_ac("push on a misaligned stack", p_push, p_push_at, ac, VA_USER_STACK - 4);
    expect_ac("load after POPF sets AC at CPL 3", p_popf, p_popf_at, RFLAGS_BASE, data + 1);

    /* ... while aligned ones, bytes and 16-byte SSE accesses do not. */
    expect_return("aligned 2-byte load", p_load16, ac, data + 2);
    expect_return("aligned 4-byte load", p_load32, ac, data + 4);
    expect_return("aligned 8-byte load", p_load64, ac, data + 8);
    expect_return("aligned 8-byte store", p_store64, ac, data + 16);
    expect_return("aligned 4-byte add to memory", p_add, ac, data + 8);
    expect_return("byte load at an odd address", p_load8, ac, data + 7);
    expect_return("misaligned 16-byte MOVUPS", p_movups, ac, data + 4);
    expect_return("push on an aligned stack", p_push, ac, VA_USER_STACK - 8);

    /* CPL 0 with AM=1 and AC=1: no check. */
    ut_vector = ~0ull;
    kernel_run(misaligned_at_cpl0, (uint64_t)(uintptr_t)guest_alloc(64, 64));
    check("misaligned accesses at CPL 0 with AM=1, AC=1: vector", ut_vector, ~0ull);

    check_segment_instructions();

    /* Clearing AM again turns checking off at CPL 3. */
    write_cr0(read_cr0() & ~CR0_AM);
    expect_return("misaligned 8-byte load after clearing AM", p_load64, ac, data + 4);

    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
