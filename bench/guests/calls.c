/* Call-heavy and branchy code: recursion, indirect calls through a table, switch dispatch. */
#include "bench.h"

__attribute__((noinline)) static uint64_t fib(uint64_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t run_fib(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        sum = fib(24 + (bench_seed & 1));
        BENCH_BARRIER();
    }
    return sum;
}

typedef uint64_t (*op_fn)(uint64_t, uint64_t);

__attribute__((noinline)) static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
__attribute__((noinline)) static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
__attribute__((noinline)) static uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
__attribute__((noinline)) static uint64_t op_rot(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> (-b & 63)); }
__attribute__((noinline)) static uint64_t op_sub(uint64_t a, uint64_t b) { return a - b * 3; }
__attribute__((noinline)) static uint64_t op_min(uint64_t a, uint64_t b) { return a < b ? a : b + 1; }
__attribute__((noinline)) static uint64_t op_div(uint64_t a, uint64_t b) { return a / ((b & 0xFF) | 1) + b; }
__attribute__((noinline)) static uint64_t op_neg(uint64_t a, uint64_t b) { return ~a + (b >> 7); }

static op_fn const ops[8] = { op_add, op_xor, op_mul, op_rot, op_sub, op_min, op_div, op_neg };

#define FNPTR_CALLS 100000

static uint64_t run_fnptr(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t x = bench_seed, acc = 1;
        for (int i = 0; i < FNPTR_CALLS; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            acc = ops[x & 7](acc, x >> 3);
        }
        sum = acc;
        BENCH_BARRIER();
    }
    return sum;
}

/* A tiny stack-machine interpreter: the classic switch-dispatch loop. */
enum opcode { PUSH, ADD, SUB, MUL, DUP, SWAP, DROP, JNZ, DEC, XOR, SHR, HALT };

static const int32_t program[] = {
    PUSH, 0,          /* acc */
    PUSH, 10000,      /* counter */
    /* loop (pc 4): */
    SWAP, PUSH, 7, MUL, PUSH, 13, ADD, DUP, PUSH, 5, SHR, XOR, SWAP,
    DEC, DUP, JNZ, 4,
    DROP, HALT,
};

static uint64_t interpret(uint64_t seed)
{
    uint64_t stack[16];
    int sp = 0, pc = 0;
    stack[sp++] = seed;
    for (;;) {
        int32_t op = program[pc++];
        switch (op) {
        case PUSH: stack[sp++] = (uint64_t)program[pc++]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { uint64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case DROP: sp--; break;
        case JNZ: { int32_t target = program[pc++]; if (stack[--sp]) pc = target; break; }
        case DEC: stack[sp - 1]--; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] >>= stack[sp] & 63; break;
        case HALT: return stack[sp - 1] ^ stack[0];
        default: return 0;
        }
    }
}

static uint64_t run_switch(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        sum = interpret(bench_seed);
        BENCH_BARRIER();
    }
    return sum;
}

struct bench_kernel bench_kernels[] = {
    { .name = "fib", .run = run_fib },
    { .name = "fnptr", .run = run_fnptr },
    { .name = "switch", .run = run_switch },
    { 0 },
};
