/*
 * sys.h — helpers for the sys_* samples, which test the CPU's system
 * behaviour: control registers and MSRs, an IDT of their own (a copy of the
 * runtime's 48 gates, grown to 256) and 4-level page tables built in the heap.
 */
#ifndef SAMPLES_SYS_H
#define SAMPLES_SYS_H

#include "guest.h"

#define MSR_EFER           0xC0000080u
#define MSR_FS_BASE        0xC0000100u
#define MSR_GS_BASE        0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define EFER_NXE           (1ull << 11)
#define CR0_WP             (1ull << 16)

#define PTE_P   0x001ull
#define PTE_RW  0x002ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

#define SEL_CODE 0x08
#define SEL_DATA 0x10

/* ---- checks ------------------------------------------------------------------ */

/* Failed checks so far: a sample ends with FAILURE when it is non-zero. */
static int failures;

static inline void check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        return;
    guest_printf("FAILURE: %s is 0x%lx, expected 0x%lx\n", what, got, want);
    failures++;
}

static inline uint64_t rdmsr(uint32_t index)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t index, uint64_t value)
{
    __asm__ __volatile__("wrmsr" : : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                         : "memory");
}

static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void write_cr0(uint64_t v) { __asm__ __volatile__("mov %0, %%cr0" : : "r"(v) : "memory"); }

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v) { __asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory"); }

static inline void invlpg(const volatile void *va)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* ---- IDT ------------------------------------------------------------------- */

struct __attribute__((packed)) sys_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

struct __attribute__((packed)) sys_table_register {
    uint16_t limit;
    uint64_t base;
};

#define GATE_INTERRUPT 0x8E   /* present, DPL0, 64-bit interrupt gate (clears IF) */
#define GATE_TRAP      0x8F   /* present, DPL0, 64-bit trap gate (keeps IF) */

static struct sys_gate sys_idt[256] __attribute__((aligned(16)));

/* Switch to sys_idt, starting from a copy of the runtime's gates so that an
 * unexpected trap is still reported by the runtime. */
static inline void sys_idt_take_over(void)
{
    struct sys_table_register old;
    __asm__ __volatile__("sidt %0" : "=m"(old));
    memcpy(sys_idt, (const void *)(uintptr_t)old.base, (size_t)old.limit + 1);
    struct sys_table_register idtr = { sizeof(sys_idt) - 1, (uint64_t)(uintptr_t)sys_idt };
    __asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

static inline void sys_set_gate(unsigned vector, void (*handler)(void), unsigned ist, uint8_t type)
{
    uint64_t target = (uint64_t)(uintptr_t)handler;
    sys_idt[vector] = (struct sys_gate){
        .offset_low = target & 0xFFFF,
        .selector = SEL_CODE,
        .ist = (uint8_t)ist,
        .type_attr = type,
        .offset_mid = (target >> 16) & 0xFFFF,
        .offset_high = (uint32_t)(target >> 32),
    };
}

/* ---- Page tables ------------------------------------------------------------ */

static inline uint64_t *pt_new_table(void)
{
    uint64_t *t = guest_alloc(4096, 4096);
    GUEST_ASSERT(t != NULL);
    memset(t, 0, 4096);
    return t;
}

/* The entry for `va` in the table at `level` (4 = PML4 … 1 = PT), creating
 * the tables above it as needed. */
static inline uint64_t *pt_entry(uint64_t *pml4, uint64_t va, int level)
{
    uint64_t *table = pml4;
    for (int l = 4; l > level; l--) {
        uint64_t *e = &table[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P))
            *e = (uint64_t)(uintptr_t)pt_new_table() | PTE_P | PTE_RW;
        GUEST_ASSERT(!(*e & PTE_PS));
        table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
    }
    return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

static inline void pt_map_4k(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(pml4, va, 1) = pa | flags | PTE_P;
}

static inline void pt_map_2m(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(pml4, va, 2) = pa | flags | PTE_P | PTE_PS;
}

static inline void pt_map_1g(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(pml4, va, 3) = pa | flags | PTE_P | PTE_PS;
}

static inline uint64_t sys_mem_size(void)
{
    /* The boot info is mapped read-only by the tender's tables only. */
    return ((const volatile struct hvt_boot_info *)0x10000)->mem_size;
}

/*
 * Identity tables: 4 KiB pages (RW) from 1 MiB up to `split`, 2 MiB pages
 * from `split` to the end of guest memory (the stack). `split` is the heap
 * position plus `reserve` bytes rounded up to 2 MiB, so the tables, which
 * come from the heap, and any heap allocated afterwards within `reserve`
 * are reachable through 4 KiB pages and can be edited after the switch.
 */
static inline uint64_t *pt_identity(size_t reserve)
{
    uint64_t mem = sys_mem_size();
    uint64_t *pml4 = pt_new_table();
    uint64_t split = ((uint64_t)(uintptr_t)pml4 + reserve + 0x1FFFFF) & ~0x1FFFFFull;
    for (uint64_t a = 0x100000; a < split; a += 4096)
        pt_map_4k(pml4, a, a, PTE_RW);
    for (uint64_t a = split; a < mem; a += 0x200000)
        pt_map_2m(pml4, a, a, PTE_RW);
    return pml4;
}

/* The TSS the runtime loaded (TR → GDT descriptor → base). */
static inline uint8_t *current_tss(void)
{
    struct sys_table_register gdtr;
    uint16_t tr;
    __asm__ __volatile__("sgdt %0\n\tstr %1" : "=m"(gdtr), "=r"(tr));
    const uint64_t *d = (const uint64_t *)(uintptr_t)(gdtr.base + (tr & ~7u));
    uint64_t base = ((d[0] >> 16) & 0xFFFFFF) | (((d[0] >> 56) & 0xFF) << 24) | (d[1] << 32);
    return (uint8_t *)(uintptr_t)base;
}

#endif /* SAMPLES_SYS_H */
