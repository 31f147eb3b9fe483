/*
 * CPU tables the guest owns: a GDT with a 64-bit TSS (whose IST stacks give
 * traps a known-good stack) and an IDT routing vectors 0..47 to traps.S.
 * The tender's boot GDT lives in low memory that the guest cannot write, so
 * the runtime installs its own copy with the same code/data selectors.
 */
#include "internal.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18

#define GDT_CODE64 0x00AF99000000FFFFULL   /* L=1, P=1, DPL0, execute */
#define GDT_DATA   0x00CF93000000FFFFULL   /* P=1, DPL0, read/write */

/* IST slot numbers (1-based, as the gate descriptors encode them). */
#define IST_IRQ  1
#define IST_TRAP 2
#define IST_NMI  3

#define IST_STACK_SIZE 8192
#define IDT_VECTORS    48

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

struct __attribute__((packed)) table_register {
    uint16_t limit;
    uint64_t base;
};

extern const uint64_t trap_stub_table[IDT_VECTORS];

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static uint8_t irq_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t trap_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t nmi_stack[IST_STACK_SIZE] __attribute__((aligned(16)));

static void gdt_init(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;

    tss.ist[IST_IRQ - 1] = (uint64_t)(uintptr_t)(irq_stack + sizeof(irq_stack));
    tss.ist[IST_TRAP - 1] = (uint64_t)(uintptr_t)(trap_stack + sizeof(trap_stack));
    tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(nmi_stack + sizeof(nmi_stack));
    tss.iomap_base = sizeof(tss);   /* no I/O permission bitmap */

    gdt[0] = 0;
    gdt[1] = GDT_CODE64;
    gdt[2] = GDT_DATA;
    /* 16-byte system descriptor: available 64-bit TSS (type 9), present. */
    gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[4] = base >> 32;

    struct table_register gdtr = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
    __asm__ __volatile__("lgdt %0" : : "m"(gdtr) : "memory");

    /* Reload CS with a far return (RIP, then CS, popped by lretq), then the
     * data segments. FS and GS keep their selectors; only their bases matter. */
    __asm__ __volatile__("pushq %[cs]\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movw %w[ds], %%ax\n\t"
                         "movw %%ax, %%ss\n\t"
                         "movw %%ax, %%ds\n\t"
                         "movw %%ax, %%es"
                         :
                         : [cs] "i"(SEL_CODE), [ds] "r"(SEL_DATA)
                         : "rax", "memory");

    __asm__ __volatile__("ltr %w0" : : "r"(SEL_TSS));
}

static unsigned ist_for_vector(unsigned vector)
{
    if (vector >= 32)
        return IST_IRQ;
    if (vector == 2 || vector == 8)   /* NMI and double fault */
        return IST_NMI;
    return IST_TRAP;
}

static void idt_init(void)
{
    for (unsigned v = 0; v < IDT_VECTORS; v++) {
        uint64_t target = trap_stub_table[v];
        idt[v] = (struct idt_gate){
            .offset_low = target & 0xFFFF,
            .selector = SEL_CODE,
            .ist = (uint8_t)ist_for_vector(v),
            .type_attr = 0x8E,            /* present, DPL0, 64-bit interrupt gate */
            .offset_mid = (target >> 16) & 0xFFFF,
            .offset_high = (uint32_t)(target >> 32),
        };
    }
    struct table_register idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

void cpu_init(void)
{
    gdt_init();
    idt_init();
}
