/** Host wall-clock time with nanosecond resolution: Date.now() anchors the monotonic hrtime. */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function wallClockNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}
