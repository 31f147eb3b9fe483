/**
 * Bridge to the native runner (test/diff/native/runner.c): builds it with the host gcc into a
 * temporary directory and feeds it cases in its fixed binary layout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseInput, CaseOutput } from './case.js';

const SOURCE = fileURLToPath(new URL('./native/runner.c', import.meta.url));
const IN_SIZE = 504;
const OUT_SIZE = 1520;
const MAX_DIFF = 256;
/** Cases per runner process: keeps the pipes' buffers a few MB. */
const BATCH = 4000;

export interface NativeRunner {
  run(inputs: CaseInput[]): CaseOutput[];
  dispose(): void;
}

/** Why native runs are impossible here, or null when they are possible. */
export function nativeUnavailableReason(): string | null {
  if (arch() !== 'x64' || platform() !== 'linux') return `host is ${platform()}/${arch()}, not linux/x64`;
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.status !== 0) return 'gcc is not available';
  return null;
}

export function buildNativeRunner(): NativeRunner {
  const dir = mkdtempSync(join(tmpdir(), 'tender-diff-'));
  const binary = join(dir, 'runner');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, SOURCE], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building the native runner failed:\n${cc.stderr}`);
  }
  return {
    run(inputs) {
      const outputs: CaseOutput[] = [];
      for (let start = 0; start < inputs.length; start += BATCH) {
        const batch = inputs.slice(start, start + BATCH);
        const result = spawnSync(binary, [], { input: encodeInputs(batch), maxBuffer: batch.length * OUT_SIZE + 4096 });
        if (result.status !== 0) throw new Error(`native runner failed (${result.status ?? result.signal}): ${result.stderr}`);
        if (result.stdout.length !== batch.length * OUT_SIZE) throw new Error('native runner returned a short result');
        for (let i = 0; i < batch.length; i++) outputs.push(decodeOutput(result.stdout, i * OUT_SIZE));
      }
      return outputs;
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function encodeInputs(inputs: CaseInput[]): Buffer {
  const buffer = Buffer.alloc(inputs.length * IN_SIZE);
  inputs.forEach((input, n) => {
    const base = n * IN_SIZE;
    if (input.code.length < 1 || input.code.length > 15 || input.patch.length > 16) throw new Error('malformed case');
    buffer[base] = input.code.length;
    buffer.set(input.code, base + 1);
    for (let r = 0; r < 16; r++) buffer.writeBigUInt64LE(BigInt.asUintN(64, input.gpr[r]!), base + 16 + r * 8);
    buffer.writeBigUInt64LE(BigInt(input.rflags), base + 144);
    buffer.writeUInt32LE(input.mxcsr, base + 152);
    buffer.writeUInt32LE(input.dataSeed >>> 0, base + 156);
    buffer.set(input.xmm, base + 160);
    buffer.writeUInt16LE(input.patchOffset, base + 416);
    buffer[base + 418] = input.patch.length;
    buffer.set(input.patch, base + 420);
    buffer.set(input.mm, base + 440);
  });
  return buffer;
}

function decodeOutput(buffer: Buffer, base: number): CaseOutput {
  const vector = buffer.readInt32LE(base);
  const gpr: bigint[] = [];
  for (let r = 0; r < 16; r++) gpr.push(buffer.readBigUInt64LE(base + 8 + r * 8));
  const ndiff = buffer.readUInt32LE(base + 156);
  if (ndiff > MAX_DIFF) throw new Error(`a case changed ${ndiff} data bytes; the runner reports at most ${MAX_DIFF}`);
  const memory: Array<[number, number]> = [];
  for (let i = 0; i < ndiff; i++) memory.push([buffer.readUInt16LE(base + 424 + i * 4), buffer[base + 426 + i * 4]!]);
  return {
    vector,
    gpr,
    rip: buffer.readBigUInt64LE(base + 136),
    rflags: Number(buffer.readBigUInt64LE(base + 144)),
    mxcsr: buffer.readUInt32LE(base + 152),
    xmm: new Uint8Array(buffer.subarray(base + 160, base + 416)),
    memory,
    mm: new Uint8Array(buffer.subarray(base + 1448, base + 1512)),
    ftw: buffer.readUInt32LE(base + 1512),
  };
}
