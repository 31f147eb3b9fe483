#!/bin/sh
# Static checks of built guests against the hvt loader's rules (hvt.md §1):
# ET_EXEC x86-64, entry >= 0x100000, PT_INTERP /nonexistent/solo5/, no W+X
# PT_LOAD, loaded segments page-aligned, ascending and not overlapping, and
# exactly two PT_NOTEs holding the ABI1 note (hvt, version 2) and a valid
# MFT1 note (descsz = 4 + 8 + 104 * entries, entry 0 reserved).
# Usage: sh check.sh build/*.hvt      (make check runs it on every sample)
set -eu

fail() { echo "$1: $2" >&2; status=1; }

# u32 FILE OFFSET: little-endian 32-bit value at a byte offset.
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

status=0
for f in "$@"; do
    header=$(readelf -hW "$f")
    echo "$header" | grep -q 'Type: *EXEC' || fail "$f" "not ET_EXEC"
    echo "$header" | grep -q 'Machine: *Advanced Micro Devices X86-64' || fail "$f" "not x86-64"
    entry=$(echo "$header" | awk '/Entry point/ {print $4}')
    [ $((entry)) -ge $((0x100000)) ] || fail "$f" "entry $entry below 0x100000"

    phdrs=$(readelf -lW "$f")
    echo "$phdrs" | grep -q 'program interpreter: /nonexistent/solo5/\]' || fail "$f" "PT_INTERP"
    # LOAD lines: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
    echo "$phdrs" | awk '$1 == "LOAD"' > "$f.loads.tmp"
    prev_end=0
    while read -r _ _ vaddr _ filesz memsz rest; do
        flags=${rest% *}
        case "$flags" in *W*E*) fail "$f" "LOAD at $vaddr is writable and executable" ;; esac
        [ $((filesz)) -eq 0 ] && continue
        [ $((vaddr % 4096)) -eq 0 ] || fail "$f" "LOAD at $vaddr not page-aligned"
        [ $((vaddr)) -ge $prev_end ] || fail "$f" "LOAD at $vaddr overlaps the previous one"
        prev_end=$(( (vaddr + memsz + 4095) / 4096 * 4096 ))
    done < "$f.loads.tmp"
    rm -f "$f.loads.tmp"

    notes=$(echo "$phdrs" | awk '$1 == "NOTE" {print $2}')
    [ "$(echo "$notes" | wc -l)" -eq 2 ] || fail "$f" "expected exactly two PT_NOTEs"
    abi=$(echo "$notes" | sed -n 1p)
    mft=$(echo "$notes" | sed -n 2p)
    # ABI1: namesz 6, descsz 16, type "ABI1", target 1, version 2.
    [ "$(u32 "$f" $((abi)))/$(u32 "$f" $((abi + 4)))/$(u32 "$f" $((abi + 8)))" = "6/16/826884673" ] ||
        fail "$f" "first PT_NOTE is not an ABI1 note"
    [ "$(u32 "$f" $((abi + 20)))/$(u32 "$f" $((abi + 24)))" = "1/2" ] || fail "$f" "ABI1 not hvt v2"
    # MFT1: namesz 6, type "MFT1", version 1 at +24, entries at +28.
    [ "$(u32 "$f" $((mft)))/$(u32 "$f" $((mft + 8)))" = "6/827606605" ] ||
        fail "$f" "second PT_NOTE is not an MFT1 note"
    entries=$(u32 "$f" $((mft + 28)))
    [ "$(u32 "$f" $((mft + 24)))" = 1 ] || fail "$f" "MFT version is not 1"
    [ "$entries" -ge 1 ] && [ "$entries" -le 64 ] || fail "$f" "MFT has $entries entries"
    [ "$(u32 "$f" $((mft + 4)))" -eq $((4 + 8 + 104 * entries)) ] || fail "$f" "MFT descsz wrong"
    [ "$(u32 "$f" $((mft + 32 + 68)))" -eq $((1 << 30)) ] || fail "$f" "MFT entry 0 not reserved"
done
exit $status
