/*
 * Declarations shared between the runtime's own files; not part of the API.
 */
#ifndef GUEST_INTERNAL_H
#define GUEST_INTERNAL_H

#include "guest.h"

/* Linker-script symbols (runtime/hvt.ld). */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[];
extern char __tdata_start[], __tdata_end[], __tls_end[];
extern char _end[];

/* Boot steps, in the order runtime_boot runs them. */
void cpu_init(void);
const char *cmdline_parse(const char *raw);
void heap_init(uint64_t mem_size);
void clock_init(uint64_t cpu_cycle_freq);
void devices_init(const struct mft *mft);

/* An informational runtime line: "guest: " + text, dropped under --quiet. */
void runtime_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* HALT with `status`; `cookie` is a guest address handed to the tender (the
 * trap frame for traps) or NULL. */
_Noreturn void runtime_halt(int status, void *cookie);

#endif /* GUEST_INTERNAL_H */
