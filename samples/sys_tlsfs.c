/*
 * sys_tlsfs: FS and GS bases through the MSRs.
 *  - WRMSR FS_BASE, GS_BASE and KERNEL_GS_BASE, read back with RDMSR;
 *  - %fs:/%gs:-relative loads and stores at negative and positive offsets
 *    reach base + offset;
 *  - SWAPGS exchanges GS_BASE and KERNEL_GS_BASE (RDMSR and %gs: loads
 *    agree), and a second SWAPGS swaps them back;
 *  - only when CPUID.(7,0):EBX[0] (FSGSBASE) is set: with CR4.FSGSBASE,
 *    RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE agree with the MSRs.
 * Run: tender --mem=64 sys_tlsfs.hvt      → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define CR4_FSGSBASE (1ull << 16)

static uint64_t area_fs[32], area_gs[32], area_kgs[32];

static uint64_t gs_load(void)
{
    uint64_t v;
    __asm__ __volatile__("movq %%gs:8, %0" : "=r"(v));
    return v;
}

static void fsgsbase_instructions(uint64_t fs, uint64_t gs)
{
    uint32_t eax = 7, ebx, ecx = 0, edx;
    __asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    if (!(ebx & 1)) {
        guest_puts("CPUID: no FSGSBASE, RDFSBASE & co. not tested\n");
        return;
    }
    uint64_t cr4;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | CR4_FSGSBASE));
    uint64_t v;
    __asm__ __volatile__("rdfsbase %0" : "=r"(v));
    check("RDFSBASE", v, fs);
    __asm__ __volatile__("rdgsbase %0" : "=r"(v));
    check("RDGSBASE", v, gs);
    __asm__ __volatile__("wrgsbase %0" : : "r"(fs));
    check("GS_BASE after WRGSBASE", rdmsr(MSR_GS_BASE), fs);
    __asm__ __volatile__("wrfsbase %0" : : "r"(gs));
    check("FS_BASE after WRFSBASE", rdmsr(MSR_FS_BASE), gs);
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4));
    guest_puts("CPUID: FSGSBASE, RDFSBASE & co. tested\n");
}

int guest_main(const char *cmdline)
{
    (void)cmdline;
    for (int i = 0; i < 32; i++) {
        area_fs[i] = 0xF5000000 + i;
        area_gs[i] = 0x65000000 + i;
        area_kgs[i] = 0x4B000000 + i;
    }
    /* Bases in the middle of each area, so both offset signs stay inside. */
    uint64_t fs = (uint64_t)(uintptr_t)&area_fs[16];
    uint64_t gs = (uint64_t)(uintptr_t)&area_gs[16];
    uint64_t kgs = (uint64_t)(uintptr_t)&area_kgs[16];
    wrmsr(MSR_FS_BASE, fs);
    wrmsr(MSR_GS_BASE, gs);
    wrmsr(MSR_KERNEL_GS_BASE, kgs);
    check("RDMSR FS_BASE", rdmsr(MSR_FS_BASE), fs);
    check("RDMSR GS_BASE", rdmsr(MSR_GS_BASE), gs);
    check("RDMSR KERNEL_GS_BASE", rdmsr(MSR_KERNEL_GS_BASE), kgs);

    uint64_t a, b, c, d;
    __asm__ __volatile__("movq %%fs:-8, %0\n\t"
                         "movq %%fs:16, %1\n\t"
                         "movq %%gs:-128, %2\n\t"
                         "movq %%gs:0, %3"
                         : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d));
    check("%fs:-8", a, 0xF5000000 + 15);
    check("%fs:16", b, 0xF5000000 + 18);
    check("%gs:-128", c, 0x65000000 + 0);
    check("%gs:0", d, 0x65000000 + 16);

    /* Stores, including through an index register with a negative value. */
    int64_t minus = -24;
    __asm__ __volatile__("movq %1, %%fs:-16\n\t"
                         "movq %1, %%fs:120\n\t"
                         "movl %k1, %%gs:(%0)\n\t"
                         "movw %w1, %%gs:40"
                         : : "r"(minus), "r"(0xABCDEF0123456789ull) : "memory");
    check("fs store at -16", area_fs[14], 0xABCDEF0123456789ull);
    check("fs store at +120", area_fs[31], 0xABCDEF0123456789ull);
    check("gs dword store at -24", area_gs[13], 0x23456789);
    check("gs word store at +40", area_gs[21], 0x65006789);

    /* SWAPGS: GS base and KERNEL_GS_BASE trade places. */
    __asm__ __volatile__("swapgs" : : : "memory");
    check("GS_BASE after SWAPGS", rdmsr(MSR_GS_BASE), kgs);
    check("KERNEL_GS_BASE after SWAPGS", rdmsr(MSR_KERNEL_GS_BASE), gs);
    check("%gs:8 after SWAPGS", gs_load(), 0x4B000000 + 17);
    __asm__ __volatile__("swapgs" : : : "memory");
    check("GS_BASE after the second SWAPGS", rdmsr(MSR_GS_BASE), gs);
    check("KERNEL_GS_BASE after the second SWAPGS", rdmsr(MSR_KERNEL_GS_BASE), kgs);
    check("%gs:8 after the second SWAPGS", gs_load(), 0x65000000 + 17);

    fsgsbase_instructions(fs, gs);

    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_GS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
