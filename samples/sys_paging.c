/*
 * sys_paging: the guest builds its own 4-level page tables in the heap (its
 * image and heap identity-mapped with 4 KiB pages, the rest of memory with
 * 2 MiB pages), switches CR3 to them and back, and checks that
 *  - one physical page mapped at two virtual addresses shows a write made
 *    through one alias through the other (and at its physical address);
 *  - a 2 MiB page and a 1 GiB page at high virtual addresses reach the right
 *    physical bytes (the 1 GiB page maps physical 1 GiB when memory ≥ 2 GiB,
 *    else physical 0);
 *  - after a PTE is changed, INVLPG (or a CR3 reload) makes the new mapping
 *    visible;
 *  - the CPU sets the accessed bit on a read and the dirty bit on a write
 *    (4 KiB PTE, 2 MiB PDE, 1 GiB PDPTE), and only the accessed bit in the PDE that
 *    references a page table.
 * Run: tender --mem=64 sys_paging.hvt     → SUCCESS, exit 0
 */
#include "guest.h"
#include "sys.h"

GUEST_MANIFEST();

#define VA_ALIAS 0x0000010000000000ull   /* 1 TiB: two 4 KiB aliases */
#define VA_2M    0x0000010040000000ull   /* 1 TiB + 1 GiB: a 2 MiB page */
#define VA_AD    0x0000010000200000ull   /* 1 TiB + 2 MiB: fresh PTE for A/D and INVLPG */
#define VA_1G    0x0000008000000000ull   /* 512 GiB: a 1 GiB page */
#define GIB      0x40000000ull

static uint64_t peek(uint64_t va) { return *(volatile uint64_t *)(uintptr_t)va; }
static void poke(uint64_t va, uint64_t v) { *(volatile uint64_t *)(uintptr_t)va = v; }

int guest_main(const char *cmdline)
{
    (void)cmdline;
    uint64_t mem = sys_mem_size();
    uint64_t *pml4 = pt_identity(1 << 20);
    uint64_t p1 = (uint64_t)(uintptr_t)pt_new_table();
    uint64_t p2 = (uint64_t)(uintptr_t)pt_new_table();
    uint64_t p3 = (uint64_t)(uintptr_t)pt_new_table();
    uint64_t p4 = (uint64_t)(uintptr_t)pt_new_table();

    pt_map_4k(pml4, VA_ALIAS, p1, PTE_RW);
    pt_map_4k(pml4, VA_ALIAS + 0x1000, p1, PTE_RW);
    uint64_t p2_base = p2 & ~0x1FFFFFull;
    pt_map_2m(pml4, VA_2M, p2_base, PTE_RW);
    pt_map_4k(pml4, VA_AD, p3, PTE_RW);
    /* A 1 GiB page must start at a 1 GiB-aligned physical address. */
    uint64_t g_base = mem >= 2 * GIB ? GIB : 0;
    uint64_t g_probe = g_base ? g_base + 0x12345000 : p4;
    pt_map_1g(pml4, VA_1G, g_base, PTE_RW);
    volatile uint64_t *pte_ad = pt_entry(pml4, VA_AD, 1);
    volatile uint64_t *pde_2m = pt_entry(pml4, VA_2M, 2);
    volatile uint64_t *pdpte_1g = pt_entry(pml4, VA_1G, 3);
    volatile uint64_t *pde_ad = pt_entry(pml4, VA_AD, 2);   /* references the PT of VA_AD */
    check("fresh PTE A/D", *pte_ad & (PTE_A | PTE_D), 0);

    poke(p2 + 8, 0x2222222222222222ull);
    poke(g_probe + 16, 0x1111111111111111ull);   /* through the boot identity map */

    uint64_t boot_cr3 = read_cr3();
    write_cr3((uint64_t)(uintptr_t)pml4);
    check("CR3 after the switch", read_cr3(), (uint64_t)(uintptr_t)pml4);

    /* Aliases of one page. */
    poke(VA_ALIAS + 0x40, 0xA11A5A11A5ull);
    check("alias 2 after a write through alias 1", peek(VA_ALIAS + 0x1000 + 0x40), 0xA11A5A11A5ull);
    check("physical page after a write through alias 1", peek(p1 + 0x40), 0xA11A5A11A5ull);
    poke(VA_ALIAS + 0x1000 + 0x48, 0xB0B0);
    check("alias 1 after a write through alias 2", peek(VA_ALIAS + 0x48), 0xB0B0);

    /* 2 MiB page. */
    check("A/D of the 2 MiB PDE before use", *pde_2m & (PTE_A | PTE_D), 0);
    check("read through the 2 MiB page", peek(VA_2M + (p2 - p2_base) + 8), 0x2222222222222222ull);
    check("A/D of the 2 MiB PDE after a read", *pde_2m & (PTE_A | PTE_D), PTE_A);
    poke(VA_2M + (p2 - p2_base) + 24, 0x2B2B);
    check("physical after a write through the 2 MiB page", peek(p2 + 24), 0x2B2B);
    check("A/D of the 2 MiB PDE after a write", *pde_2m & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* 1 GiB page. */
    check("read through the 1 GiB page", peek(VA_1G + (g_probe - g_base) + 16), 0x1111111111111111ull);
    check("A/D of the 1 GiB PDPTE after a read", *pdpte_1g & (PTE_A | PTE_D), PTE_A);
    poke(VA_1G + (g_probe - g_base) + 32, 0x1616);
    check("physical after a write through the 1 GiB page", peek(g_probe + 32), 0x1616);
    check("A/D of the 1 GiB PDPTE after a write", *pdpte_1g & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* Accessed and dirty bits of a 4 KiB PTE. */
    poke(p3, 0x3333);
    poke(p4, 0x4444);
    *pte_ad &= ~(PTE_A | PTE_D);
    invlpg((void *)(uintptr_t)VA_AD);
    check("read through the fresh PTE", peek(VA_AD), 0x3333);
    check("A/D of the PTE after a read", *pte_ad & (PTE_A | PTE_D), PTE_A);
    poke(VA_AD + 8, 0x3838);
    check("A/D of the PTE after a write", *pte_ad & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* Non-leaf entries get A, never D. */
    check("A/D of the PDE above that PTE", *pde_ad & (PTE_A | PTE_D), PTE_A);

    /* INVLPG after retargeting the PTE from p3 to p4. */
    *pte_ad = p4 | PTE_P | PTE_RW;
    invlpg((void *)(uintptr_t)VA_AD);
    check("read after the PTE change and INVLPG", peek(VA_AD), 0x4444);
    poke(VA_AD + 8, 0x4848);
    check("p4 after a write through the new mapping", peek(p4 + 8), 0x4848);
    check("p3 untouched by that write", peek(p3 + 8), 0x3838);

    /* A CR3 load flushes the TLB too: back to p3 without INVLPG. */
    *pte_ad = p3 | PTE_P | PTE_RW;
    write_cr3((uint64_t)(uintptr_t)pml4);
    check("read after the PTE change and a CR3 reload", peek(VA_AD), 0x3333);

    /* Back to the tender's tables: identity still works, the data is there. */
    write_cr3(boot_cr3);
    check("CR3 after switching back", read_cr3(), boot_cr3);
    check("p1 through the boot tables", peek(p1 + 0x48), 0xB0B0);
    /* And once more onto ours: the mappings survive the round trip. */
    write_cr3((uint64_t)(uintptr_t)pml4);
    check("alias 2 after a second switch", peek(VA_ALIAS + 0x1000 + 0x40), 0xA11A5A11A5ull);
    write_cr3(boot_cr3);

    if (failures)
        return GUEST_EXIT_FAILURE;
    guest_printf("mem 0x%lx, 1 GiB page at physical 0x%lx\n", mem, g_base);
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
