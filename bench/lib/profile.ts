/** Summarises a V8 .cpuprofile: self time per function, the top frames first. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

export interface ProfileFrame {
  readonly frame: string;
  readonly selfPercent: number;
  readonly selfMs: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly top: readonly ProfileFrame[];
}

export async function summariseProfile(file: string, limit = 20): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const msPerHit = totalHits === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / totalHits;
  const byFrame = new Map<string, number>();
  let idleHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleHits += hits;
      continue;
    }
    const where = url ? ` ${basename(url)}:${lineNumber + 1}` : '';
    const frame = `${functionName || '(anonymous)'}${where}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
  }
  const busyHits = totalHits - idleHits;
  const top = [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, hits]) => ({
      frame,
      selfPercent: Math.round((hits / Math.max(1, busyHits)) * 1000) / 10,
      selfMs: Math.round(hits * msPerHit),
    }));
  return { file, busyMs: Math.round(busyHits * msPerHit), idleMs: Math.round(idleHits * msPerHit), top };
}
