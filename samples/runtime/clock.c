/*
 * Time. The monotonic clock is the TSC scaled to nanoseconds with a 32-bit
 * multiplier and a shift (ns = ticks * mult >> shift, 128-bit product), so
 * no division happens per reading. The tender makes the TSC run at the
 * frequency it announces in the boot info.
 */
#include "internal.h"

static uint64_t tsc_at_boot;
static uint64_t tsc_mult;
static unsigned tsc_shift;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void clock_init(uint64_t cpu_cycle_freq)
{
    if (cpu_cycle_freq == 0)
        guest_panic(GUEST_SOURCE_FILE, __LINE__, "boot info has no TSC frequency");
    /* The largest shift <= 32 whose multiplier still fits in 32 bits. */
    tsc_shift = 32;
    while (tsc_shift > 0 && (GUEST_NSEC_PER_SEC << tsc_shift) / cpu_cycle_freq > 0xFFFFFFFFULL)
        tsc_shift--;
    tsc_mult = (GUEST_NSEC_PER_SEC << tsc_shift) / cpu_cycle_freq;
    GUEST_ASSERT(tsc_mult != 0);
    tsc_at_boot = rdtsc();
}

uint64_t guest_clock_monotonic(void)
{
    uint64_t ticks = rdtsc() - tsc_at_boot;
    return (uint64_t)(((unsigned __int128)ticks * tsc_mult) >> tsc_shift);
}

uint64_t guest_clock_wall(void)
{
    struct hvt_hc_walltime walltime = { 0 };
    hvt_hypercall(HVT_HC_WALLTIME, &walltime);
    return walltime.nsecs;
}

int guest_yield(uint64_t deadline, uint64_t *ready_set)
{
    uint64_t now = guest_clock_monotonic();
    struct hvt_hc_poll poll = { .timeout_nsecs = deadline > now ? deadline - now : 0 };

    hvt_hypercall(HVT_HC_POLL, &poll);
    if (ready_set != NULL)
        *ready_set = poll.ready_set;
    return poll.ret;
}
