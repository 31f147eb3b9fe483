/*
 * Every way out of the guest: normal exit, abort, assertion/panic and the
 * stack protector's failure hook. All end in the HALT hypercall.
 */
#include "internal.h"

/* The compiler's canary (-mstack-protector-guard=global). This marker value
 * is replaced by _start before any protected function runs. */
uintptr_t __stack_chk_guard = 0x00DEADBEEF0D0A00ULL;

_Noreturn void __stack_chk_fail(void);

_Noreturn void runtime_halt(int status, void *cookie)
{
    struct hvt_hc_halt halt = {
        .cookie = (uint64_t)(uintptr_t)cookie,
        .exit_status = status,
    };
    hvt_hypercall(HVT_HC_HALT, &halt);
    /* HALT does not return; if a tender ever resumes us, stay put. */
    for (;;)
        __asm__ __volatile__("pause");
}

_Noreturn void guest_exit(int status)
{
    runtime_log("exit(%d) called\n", status);
    runtime_halt(status, NULL);
}

_Noreturn void guest_abort(void)
{
    guest_puts("guest: ABORT: abort() called\n");
    runtime_halt(GUEST_EXIT_ABORT, NULL);
}

_Noreturn void guest_panic(const char *file, int line, const char *fmt, ...)
{
    char message[256];
    va_list ap;

    va_start(ap, fmt);
    guest_vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    guest_printf("guest: ABORT: %s:%d: %s\n", file, line, message);
    runtime_halt(GUEST_EXIT_ABORT, NULL);
}

_Noreturn void __stack_chk_fail(void)
{
    guest_puts("guest: ABORT: Stack corruption detected\n");
    runtime_halt(GUEST_EXIT_ABORT, NULL);
}
