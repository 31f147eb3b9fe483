/*
 * The C side of traps.S. A CPU exception in a guest is always fatal: report
 * it, then HALT with status 255 and the frame's address as the cookie (the
 * tender's core dump takes the faulting RIP/RSP from there). Hardware
 * interrupts, which hvt never delivers, are counted and dismissed.
 */
#include "internal.h"

struct trap_frame {
    uint64_t cr2;
    uint64_t ec;
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};

#define VECTOR_PF 14

static const char *const vector_names[32] = {
    "#DE", "#DB", "#NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#9",  "#TS",  "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC",  "#XM", "#VE", "#21", "#22", "#23",
    "#24", "#25", "#26",  "#27", "#28", "#29", "#30", "#31",
};

/* Interrupts seen per IRQ line (vectors 32..47). */
static uint64_t unexpected_irqs[16];

void runtime_trap(uint64_t vector, struct trap_frame *frame);

void runtime_trap(uint64_t vector, struct trap_frame *frame)
{
    if (vector >= 32) {
        unexpected_irqs[(vector - 32) & 15]++;
        return;
    }
    runtime_log("trap: type=%s ec=0x%lx rip=0x%lx rsp=0x%lx rflags=0x%lx\n",
                vector_names[vector], frame->ec, frame->rip, frame->rsp, frame->rflags);
    if (vector == VECTOR_PF)
        runtime_log("trap: cr2=0x%lx\n", frame->cr2);
    guest_printf("guest: ABORT: %s:%d: Fatal trap\n", GUEST_SOURCE_FILE, __LINE__);
    runtime_halt(GUEST_EXIT_ABORT, frame);
}
