/*
 * time: the monotonic clock advances; yield with a past deadline returns at
 * once (< 100 ms); five yields to now + 1 s each take between 0.8 s and
 * 1.2 s; the wall clock is after 2017-01-01.
 * Run: tender time.hvt                   → SUCCESS, exit 0 (takes ~5 s)
 */
#include "guest.h"

GUEST_MANIFEST();

#define MSEC (GUEST_NSEC_PER_SEC / 1000)
#define WALLTIME_2017 (1483228800ULL * GUEST_NSEC_PER_SEC)

int guest_main(const char *cmdline)
{
    (void)cmdline;

    uint64_t t0 = guest_clock_monotonic(), t1 = t0;
    for (int spins = 0; t1 == t0 && spins < 10000000; spins++)
        t1 = guest_clock_monotonic();
    if (t1 <= t0) {
        guest_puts("FAILURE: the monotonic clock does not advance\n");
        return GUEST_EXIT_FAILURE;
    }

    uint64_t ready = ~0ULL;
    t0 = guest_clock_monotonic();
    guest_yield(0, &ready);
    t1 = guest_clock_monotonic();
    if (t1 - t0 >= 100 * MSEC || ready != 0) {
        guest_printf("FAILURE: yield(past deadline) took %lu ms, ready_set 0x%lx\n",
                     (unsigned long)((t1 - t0) / MSEC), ready);
        return GUEST_EXIT_FAILURE;
    }

    for (int i = 1; i <= 5; i++) {
        t0 = guest_clock_monotonic();
        guest_yield(t0 + GUEST_NSEC_PER_SEC, NULL);
        t1 = guest_clock_monotonic();
        uint64_t elapsed_ms = (t1 - t0) / MSEC;
        guest_printf("yield %d: slept %lu ms\n", i, (unsigned long)elapsed_ms);
        if (elapsed_ms < 800) {
            guest_puts("FAILURE: slept too little\n");
            return GUEST_EXIT_FAILURE;
        }
        if (elapsed_ms > 1200) {
            guest_puts("FAILURE: slept too much\n");
            return GUEST_EXIT_FAILURE;
        }
    }

    uint64_t wall = guest_clock_wall();
    if (wall < WALLTIME_2017) {
        guest_printf("FAILURE: wall clock %lu s is before 2017\n",
                     (unsigned long)(wall / GUEST_NSEC_PER_SEC));
        return GUEST_EXIT_FAILURE;
    }
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
