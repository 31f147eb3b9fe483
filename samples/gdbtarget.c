/*
 * gdbtarget: a guest for debugger tests, built with -O0 so every variable
 * and line is where the source says. Lines that tests put breakpoints on end
 * with the comment "// LINE:<tag>"; grep -n for that text (with a real tag)
 * gives the line number. The mentions below have no "//".
 *
 * Symbols:
 *   gdb_counter      global; count_up() adds 1 per loop iteration, 10 in all
 *                    (LINE:counter-increment)
 *   gdb_answer       global, initially 41; report_answer() prints
 *                    "answer=<gdb_answer>" (LINE:print-answer), so a debugger
 *                    that sets it first changes the output
 *   gdb_release      global flag; with the argument `spin`, wait_for_release()
 *                    loops (LINE:spin) until something sets it nonzero, e.g.
 *                    gdb after an interrupt: `set var gdb_release = 1`;
 *                    gdb_spins counts the loop's iterations
 *   call chain       guest_main → run_chain → level_one → level_two →
 *                    level_three (LINE:deepest); run_chain returns 6 and
 *                    prints "chain=6"
 *
 * Output: "chain=6", "counter=10", "answer=41" (unless changed), SUCCESS.
 * Run: tender gdbtarget.hvt [spin]               → SUCCESS, exit 0
 */
#include "guest.h"

GUEST_MANIFEST();

volatile uint64_t gdb_counter;
volatile int gdb_answer = 41;
volatile int gdb_release;
volatile uint64_t gdb_spins;

int level_three(int depth)
{
    return depth + 3; // LINE:deepest
}

int level_two(int depth)
{
    return level_three(depth + 2);
}

int level_one(int depth)
{
    return level_two(depth + 1);
}

int run_chain(void)
{
    int result = level_one(0);
    guest_printf("chain=%d\n", result);
    return result;
}

void count_up(int times)
{
    for (int i = 0; i < times; i++) {
        gdb_counter++; // LINE:counter-increment
    }
    guest_printf("counter=%lu\n", (unsigned long)gdb_counter);
}

void report_answer(void)
{
    guest_printf("answer=%d\n", gdb_answer); // LINE:print-answer
}

void wait_for_release(void)
{
    guest_puts("spinning until gdb_release is set\n");
    while (gdb_release == 0) { // LINE:spin
        gdb_spins++;
    }
    guest_puts("released\n");
}

int guest_main(const char *cmdline)
{
    if (run_chain() != 6)
        return GUEST_EXIT_FAILURE;
    count_up(10);
    report_answer();
    if (strcmp(cmdline, "spin") == 0)
        wait_for_release();
    guest_puts("SUCCESS\n");
    return GUEST_EXIT_SUCCESS;
}
