/**
 * A first look at a V8 .cpuprofile without leaving the terminal: self time per function, largest
 * first. The full picture (call trees, flame charts) needs DevTools or speedscope (README.md).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `function (file:line)`, the file relative to the repository when it is ours. */
  name: string;
  ms: number;
  share: number;
}

function frameName(frame: ProfileNode['callFrame']): string {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  // Keep the part a reader knows: dist/cpu/alu.js, not the whole file URL.
  const dist = frame.url.lastIndexOf('/dist/');
  const file = dist >= 0 ? frame.url.slice(dist + 6) : frame.url.replace(/^.*\//, '');
  return `${fn} (${file}:${frame.lineNumber + 1})`;
}

export function selfTimes(path: string, top: number): SelfTime[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const names = new Map(profile.nodes.map((n) => [n.id, frameName(n.callFrame)]));
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const name = names.get(id) ?? '(unknown)';
    totals.set(name, (totals.get(name) ?? 0) + us);
    total += us;
  });
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
}
