# Build rules for the guest runtime, for samples/Makefile and for any other
# Makefile that links programs against it (e.g. the benchmarks):
#
#   GUEST_BUILD := some/build/dir      # optional; default samples/build/runtime
#   include path/to/samples/runtime/guest.mk
#   prog.o: prog.c ; $(GUEST_CC) $(GUEST_APP_CFLAGS) -c -o $@ $<
#   prog.hvt: prog.o $(GUEST_RUNTIME) $(GUEST_LDSCRIPT) ; $(GUEST_CC) $(GUEST_LDFLAGS) -o $@ prog.o $(GUEST_RUNTIME) $(GUEST_LIBS)
#
# GUEST_RUNTIME is one relocatable object (ld -r of every runtime file), so
# the ABI note and the entry point are always linked in.

GUEST_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GUEST_BUILD ?= $(GUEST_DIR)/../build/runtime

GUEST_CC ?= gcc
GUEST_COMMON_CFLAGS := -std=gnu11 -g -Wall -Wextra -ffreestanding -fno-pie -fno-pic \
	-mno-red-zone -fno-omit-frame-pointer -fstack-protector-strong \
	-mstack-protector-guard=global -I$(GUEST_DIR)
# The runtime never touches SSE/MMX state: programs own it.
GUEST_RUNTIME_CFLAGS := $(GUEST_COMMON_CFLAGS) -O2 -mno-sse -mno-mmx -mno-avx \
	-fno-tree-loop-distribute-patterns
# Programs use the normal x86-64 baseline, SSE included.
GUEST_APP_CFLAGS := $(GUEST_COMMON_CFLAGS) -O2
GUEST_LDSCRIPT := $(GUEST_DIR)/hvt.ld
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(GUEST_LDSCRIPT) \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none
GUEST_LIBS := -lgcc

GUEST_RUNTIME_SRCS := $(wildcard $(GUEST_DIR)/*.c) $(wildcard $(GUEST_DIR)/*.S)
GUEST_RUNTIME_OBJS := $(patsubst $(GUEST_DIR)/%,$(GUEST_BUILD)/%.o,$(GUEST_RUNTIME_SRCS))
GUEST_RUNTIME := $(GUEST_BUILD)/guest-runtime.o

$(GUEST_RUNTIME): $(GUEST_RUNTIME_OBJS)
	@ld -r -o $@ $^

$(GUEST_BUILD)/%.c.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/guest.mk
	@mkdir -p $(@D)
	@$(GUEST_CC) $(GUEST_RUNTIME_CFLAGS) -MMD -MP -c -o $@ $<

$(GUEST_BUILD)/%.S.o: $(GUEST_DIR)/%.S $(GUEST_DIR)/guest.mk
	@mkdir -p $(@D)
	@$(GUEST_CC) $(GUEST_RUNTIME_CFLAGS) -MMD -MP -c -o $@ $<

-include $(GUEST_RUNTIME_OBJS:.o=.d)
