/**
 * How an instruction abandons itself. Faults are rare, so they unwind with a throw of one
 * preallocated object (no allocation, no stack capture); the run loop has a single try/catch
 * around its whole instruction loop, not one per instruction.
 */

/** Thrown when an instruction raises a CPU exception; the vector/error live on the CPU. */
export const FAULT = { kind: 'fault' } as const;
/** Thrown when an instruction must stop `run` without completing (host fault). */
export const STOP = { kind: 'stop' } as const;

export const DE = 0, DB = 1, NMI = 2, BP = 3, OFV = 4, BR = 5, UD = 6, NM = 7, DF_VEC = 8;
export const TS = 10, NP = 11, SS_VEC = 12, GP = 13, PF_VEC = 14, MF = 16, AC_VEC = 17, MC = 18, XM = 19;

/** Vectors whose exception pushes an error code. */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21 || vector === 29 || vector === 30;
}

/** Exception classes for the double-fault rules: 0 benign, 1 contributory, 2 page fault. */
export function exceptionClass(vector: number): number {
  if (vector === 0 || (vector >= 10 && vector <= 13)) return 1;
  if (vector === 14) return 2;
  return 0;
}
