/*
 * sys_protect: page protection with the guest's own page tables and its own
 * #PF handler (which records error code, CR2 and RIP, then resumes at a
 * recovery address chosen by the probe):
 *  - EFER.NXE set by WRMSR (read back by RDMSR); a jump into an NX page
 *    raises #PF ec=0x11 (present | instruction fetch), CR2 = RIP = target,
 *    while the same code runs when NX is clear;
 *  - a write to a read-only page with CR0.WP=1 raises #PF ec=0x3 and leaves
 *    memory and the dirty bit unchanged; with CR0.WP=0 the same write
 *    succeeds at CPL0 and sets the dirty bit;
 *  - with NXE=0 again, bit 63 in a PTE is reserved: a read gives ec=0x9
 *    (present | RSVD);
 *  - a read of a not-present page gives ec=0x0, a write ec=0x2.
 * Every fault's saved RIP must be the faulting instruction.
 * Run: tender --mem=64 sys_protect.hvt    → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define VA_TEST 0x0000010000000000ull    /* 1 TiB: the page under test */

/* Filled in by pf_handler. */
volatile uint64_t pf_count, pf_ec, pf_cr2, pf_rip;
/* Where pf_handler resumes (replaces the saved RIP), and the address of the
 * probe's faulting instruction (the RIP the #PF frame must hold). */
volatile uint64_t pf_resume, probe_at;

void pf_handler(void);
__asm__(".text\n"
        ".globl pf_handler\n"
        "pf_handler:\n\t"
        "pushq %rax\n\t"
        "movq 8(%rsp), %rax\n\t"          /* error code */
        "movq %rax, pf_ec(%rip)\n\t"
        "movq %cr2, %rax\n\t"
        "movq %rax, pf_cr2(%rip)\n\t"
        "movq 16(%rsp), %rax\n\t"         /* saved RIP */
        "movq %rax, pf_rip(%rip)\n\t"
        "incq pf_count(%rip)\n\t"
        "movq pf_resume(%rip), %rax\n\t"
        "movq %rax, 16(%rsp)\n\t"
        "popq %rax\n\t"
        "addq $8, %rsp\n\t"               /* drop the error code */
        "iretq\n");

/* Each probe returns whether it faulted; the fault details are in pf_*. */
static bool probe_read(uint64_t va, uint64_t *value)
{
    uint64_t before = pf_count, v = 0;
    __asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"
                         "movq %%rax, pf_resume(%%rip)\n\t"
                         "leaq 2f(%%rip), %%rax\n\t"
                         "movq %%rax, probe_at(%%rip)\n"
                         "2:\t"
                         "movq (%1), %0\n"
                         "1:"
                         : "+r"(v) : "r"(va) : "rax", "memory");
    *value = v;
    return pf_count != before;
}

static bool probe_write(uint64_t va, uint64_t value)
{
    uint64_t before = pf_count;
    __asm__ __volatile__("leaq 1f(%%rip), %%rax\n\t"
                         "movq %%rax, pf_resume(%%rip)\n\t"
                         "leaq 2f(%%rip), %%rax\n\t"
                         "movq %%rax, probe_at(%%rip)\n"
                         "2:\t"
                         "movq %1, (%0)\n"
                         "1:"
                         : : "r"(va), "r"(value) : "rax", "memory");
    return pf_count != before;
}

/* Jumps to `va`, which holds `mov $0x5EC, %eax; jmp *%rcx` and so comes back. */
static bool probe_exec(uint64_t va, uint64_t *eax)
{
    uint64_t before = pf_count, v = 0;
    __asm__ __volatile__("leaq 1f(%%rip), %%rcx\n\t"
                         "movq %%rcx, pf_resume(%%rip)\n\t"
                         "movq %1, probe_at(%%rip)\n\t"
                         "jmp *%1\n"
                         "1:"
                         : "+a"(v) : "r"(va) : "rcx", "memory");
    *eax = v;
    return pf_count != before;
}

static void expect_fault(const char *what, bool faulted, uint64_t ec, uint64_t cr2)
{
    if (!faulted) {
        guest_printf("FAILURE: %s did not fault\n", what);
        failures++;
        return;
    }
    if (pf_ec != ec || pf_cr2 != cr2 || pf_rip != probe_at) {
        guest_printf("FAILURE: %s: #PF ec=0x%lx cr2=0x%lx rip=0x%lx, expected ec=0x%lx cr2=0x%lx "
                     "rip=0x%lx\n", what, pf_ec, pf_cr2, pf_rip, ec, cr2, probe_at);
        failures++;
    }
}

static void expect_no_fault(const char *what, bool faulted)
{
    if (!faulted)
        return;
    guest_printf("FAILURE: %s faulted: ec=0x%lx cr2=0x%lx rip=0x%lx\n", what, pf_ec, pf_cr2, pf_rip);
    failures++;
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    uint64_t *pml4 = pt_identity(1 << 20);
    uint8_t *page = (uint8_t *)pt_new_table();
    uint64_t phys = (uint64_t)(uintptr_t)page;
    static const uint8_t code[] = { 0xB8, 0xEC, 0x05, 0x00, 0x00,   /* mov $0x5EC, %eax */
                                    0xFF, 0xE1 };                   /* jmp *%rcx */
    memcpy(page, code, sizeof(code));
    *(volatile uint64_t *)(page + 0x800) = 0xDA7A;
    pt_map_4k(pml4, VA_TEST, phys, PTE_RW);
    volatile uint64_t *pte = pt_entry(pml4, VA_TEST, 1);

    sys_idt_take_over();
    sys_set_gate(14, pf_handler, 0, GATE_INTERRUPT);
    uint64_t boot_cr3 = read_cr3();
    write_cr3((uint64_t)(uintptr_t)pml4);
    uint64_t v;

    /* Execute permission. */
    uint64_t efer = rdmsr(MSR_EFER);
    check("EFER.NXE at boot", efer & EFER_NXE, 0);
    expect_no_fault("jump into an executable page", probe_exec(VA_TEST, &v));
    check("EAX set by the executed page", v, 0x5EC);
    wrmsr(MSR_EFER, efer | EFER_NXE);
    check("EFER after setting NXE", rdmsr(MSR_EFER), efer | EFER_NXE);
    *pte |= PTE_NX;
    invlpg((void *)(uintptr_t)VA_TEST);
    expect_fault("jump into an NX page", probe_exec(VA_TEST, &v), 0x11, VA_TEST);
    check("EAX after the NX fault", v, 0);
    expect_no_fault("read of an NX page", probe_read(VA_TEST + 0x800, &v));
    check("value read from the NX page", v, 0xDA7A);
    *pte &= ~PTE_NX;
    invlpg((void *)(uintptr_t)VA_TEST);
    expect_no_fault("jump after NX is cleared", probe_exec(VA_TEST, &v));
    check("EAX after NX is cleared", v, 0x5EC);
    wrmsr(MSR_EFER, efer);
    /* With NXE=0, bit 63 of a PTE is reserved: a read faults with RSVD|P. */
    *pte |= PTE_NX;
    invlpg((void *)(uintptr_t)VA_TEST);
    expect_fault("read through a PTE with bit 63 and NXE=0", probe_read(VA_TEST + 0x800, &v), 0x9,
                 VA_TEST + 0x800);
    *pte &= ~PTE_NX;
    invlpg((void *)(uintptr_t)VA_TEST);

    /* Write protection. */
    *pte &= ~PTE_RW;
    invlpg((void *)(uintptr_t)VA_TEST);
    uint64_t cr0 = read_cr0();
    check("CR0.WP at boot", cr0 & CR0_WP, CR0_WP);
    expect_fault("write to a read-only page, WP=1", probe_write(VA_TEST + 0x808, 0xBAD), 0x3,
                 VA_TEST + 0x808);
    check("memory after the refused write", *(volatile uint64_t *)(page + 0x808), 0);
    check("dirty bit after the refused write", *pte & PTE_D, 0);
    expect_no_fault("read of a read-only page", probe_read(VA_TEST + 0x800, &v));
    check("value read from the read-only page", v, 0xDA7A);
    write_cr0(cr0 & ~CR0_WP);
    expect_no_fault("write to a read-only page, WP=0", probe_write(VA_TEST + 0x808, 0x600D));
    check("memory after the WP=0 write", *(volatile uint64_t *)(page + 0x808), 0x600D);
    check("dirty bit after the WP=0 write", *pte & PTE_D, PTE_D);
    write_cr0(cr0);
    check("CR0 restored", read_cr0(), cr0);
    expect_fault("write to a read-only page, WP=1 again", probe_write(VA_TEST + 0x810, 1), 0x3,
                 VA_TEST + 0x810);

    /* Not present. */
    *pte = 0;
    invlpg((void *)(uintptr_t)VA_TEST);
    expect_fault("read of a not-present page", probe_read(VA_TEST + 0x18, &v), 0x0, VA_TEST + 0x18);
    expect_fault("write to a not-present page", probe_write(VA_TEST + 0x20, 1), 0x2, VA_TEST + 0x20);
    /* Fix the mapping: the same read now succeeds. */
    *pte = phys | PTE_P;
    invlpg((void *)(uintptr_t)VA_TEST);
    expect_no_fault("read after the mapping is restored", probe_read(VA_TEST + 0x800, &v));
    check("value read after the mapping is restored", v, 0xDA7A);

    write_cr3(boot_cr3);
    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
