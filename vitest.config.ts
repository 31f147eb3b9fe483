import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tap and gdb tests bind host resources (interface names, ports): keep files serial.
    fileParallelism: false,
  },
});
