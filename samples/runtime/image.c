/*
 * What makes the linked file a Solo5 hvt executable besides its layout:
 * the PT_INTERP path that no host has (so running it directly on the host
 * fails cleanly) and the ABI1 note naming the hvt target, ABI version 2.
 * The MFT1 note comes from the program's GUEST_MANIFEST.
 */
#include "hvt_abi.h"

/* 24-byte field, NUL-padded. */
__attribute__((section(".interp"), used))
static const char interp[24] = "/nonexistent/solo5/";

__attribute__((section(".note.solo5.abi"), aligned(4), used))
static const struct hvt_abi_note abi_note = {
    .header = { HVT_NOTE_NAMESZ, 16, HVT_ABI1_NOTE_TYPE, HVT_NOTE_NAME },
    .abi_target = HVT_ABI_TARGET_HVT,
    .abi_version = HVT_ABI_VERSION,
};
