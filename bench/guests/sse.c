/*
 * SSE2 double arithmetic: a dense matrix multiply and an n-body simulation (sqrtsd, divsd).
 * Results are hashed bit for bit: IEEE arithmetic is exact, so native and emulated runs of the
 * same binary must agree to the last bit.
 */
#include "bench.h"

#define MM_N 48

static double ma[MM_N][MM_N], mb[MM_N][MM_N], mc[MM_N][MM_N];

static uint64_t bits(double d)
{
    union {
        double d;
        uint64_t u;
    } v = { .d = d };
    return v.u;
}

static uint64_t run_matmul(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint32_t x = (uint32_t)bench_seed;
        for (int i = 0; i < MM_N; i++)
            for (int j = 0; j < MM_N; j++) {
                x = x * 1664525u + 1013904223u;
                ma[i][j] = (double)(int32_t)x / 2147483648.0;
                x = x * 1664525u + 1013904223u;
                mb[i][j] = (double)(x >> 8) / 16777216.0 - 0.5;
            }
        for (int i = 0; i < MM_N; i++) {
            for (int j = 0; j < MM_N; j++)
                mc[i][j] = 0.0;
            for (int k = 0; k < MM_N; k++) {
                double a = ma[i][k];
                for (int j = 0; j < MM_N; j++)
                    mc[i][j] += a * mb[k][j];
            }
        }
        uint64_t h = 0;
        for (int i = 0; i < MM_N; i++)
            for (int j = 0; j < MM_N; j++)
                h = bench_mix64(h, bits(mc[i][j]));
        sum = h;
        BENCH_BARRIER();
    }
    return sum;
}

#define BODIES 5
#define STEPS 1000

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static const struct body initial[BODIES] = {
    { 0, 0, 0, 0, 0, 0, 39.47841760435743 },
    { 4.84, -1.16, -0.10, 0.606, 2.81, -0.0252, 0.0377 },
    { 8.34, 4.12, -0.40, -1.01, 1.82, 0.00841, 0.0113 },
    { 12.89, -15.11, -0.22, 1.08, 0.868, -0.0108, 0.00172 },
    { 15.37, -25.91, 0.17, 0.979, 0.594, -0.0347, 0.00203 },
};

static double energy(const struct body *b)
{
    double e = 0.0;
    for (int i = 0; i < BODIES; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(struct body *b, double dt)
{
    for (int i = 0; i < BODIES; i++)
        for (int j = i + 1; j < BODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    for (int i = 0; i < BODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static uint64_t run_nbody(uint64_t reps)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < reps; r++) {
        struct body b[BODIES];
        for (int i = 0; i < BODIES; i++)
            b[i] = initial[i];
        b[0].vx += (double)(bench_seed & 1) * 1e-9;
        double e0 = energy(b);
        for (int s = 0; s < STEPS; s++)
            advance(b, 0.01);
        sum = bench_mix64(bits(e0), bits(energy(b)));
        BENCH_BARRIER();
    }
    return sum;
}

struct bench_kernel bench_kernels[] = {
    { .name = "matmul-f64", .run = run_matmul },
    { .name = "nbody", .run = run_nbody },
    { 0 },
};
