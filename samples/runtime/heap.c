/*
 * The heap: a bump allocator over [round_up(_end, 4 KiB), mem_size - stack
 * reserve). The tender's stack grows down from the top of memory.
 */
#include "internal.h"

#define PAGE_SIZE      4096u
#define MIN_FREE       (512u * 1024u)   /* heap + stack must have this much */
#define STACK_RESERVE  (256u * 1024u)

static uintptr_t heap_next;
static uintptr_t heap_limit;

static uintptr_t round_up(uintptr_t value, uintptr_t align)
{
    return (value + align - 1) & ~(align - 1);
}

void heap_init(uint64_t mem_size)
{
    uintptr_t start = round_up((uintptr_t)_end, PAGE_SIZE);

    if (start + MIN_FREE > mem_size)
        guest_panic(GUEST_SOURCE_FILE, __LINE__, "Not enough memory");
    heap_next = start;
    heap_limit = mem_size - STACK_RESERVE;
    runtime_log("memory map: %lu MiB addressable:\n", (unsigned long)(mem_size >> 20));
    runtime_log("    text @ 0x%lx - 0x%lx\n", (uintptr_t)__text_start, (uintptr_t)__text_end - 1);
    runtime_log("  rodata @ 0x%lx - 0x%lx\n", (uintptr_t)__rodata_start,
                (uintptr_t)__rodata_end - 1);
    runtime_log("    data @ 0x%lx - 0x%lx\n", (uintptr_t)__data_start, start - 1);
    runtime_log("    heap @ 0x%lx - 0x%lx, stack below 0x%lx\n", start, heap_limit - 1,
                (uintptr_t)mem_size);
}

void *guest_alloc(size_t size, size_t align)
{
    if (align == 0 || (align & (align - 1)) != 0)
        return NULL;
    uintptr_t p = round_up(heap_next, align);
    if (p < heap_next || p > heap_limit || size > heap_limit - p)
        return NULL;
    heap_next = p + size;
    return (void *)p;
}
