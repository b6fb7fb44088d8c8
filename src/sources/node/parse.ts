// The node's /proc files, parsed (pure text in, numbers out; garbage gives undefined, never NaN).
//   /proc/loadavg:          0.52 0.58 0.59 2/1203 43921
//   /proc/meminfo:          MemTotal:        4028380 kB
//   /proc/pressure/memory:  some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//                           full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   /proc/sys/fs/file-nr:   2304	0	9223372036854775807
//   /dev/kmsg record:       6,1234,5678901,-;Out of memory: Killed process 42 (containerd-shim) ...
import type { PressureAverages } from '../../snapshot/types/index.ts';

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^-?\d+(?:\.\d+)?$/.test(s)) return undefined;
  return Number(s);
};

export function parseLoadavg(text: string): { loadavg: [number, number, number]; running: number; threads: number } | undefined {
  const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\/(\d+)/.exec(text.trim());
  if (!m) return undefined;
  return { loadavg: [Number(m[1]), Number(m[2]), Number(m[3])], running: Number(m[4]), threads: Number(m[5]) };
}

export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

export function parsePressure(text: string): { some: PressureAverages; full?: PressureAverages } | undefined {
  const read = (kind: string): PressureAverages | undefined => {
    const m = new RegExp(`^${kind} avg10=(\\d+(?:\\.\\d+)?) avg60=(\\d+(?:\\.\\d+)?) avg300=(\\d+(?:\\.\\d+)?)`, 'm').exec(text);
    return m ? { avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3]) } : undefined;
  };
  const some = read('some');
  if (!some) return undefined;
  const full = read('full');
  return full ? { some, full } : { some };
}

export function parseFileNr(text: string): { allocated: number; max: number } | undefined {
  const [a, , m] = text.trim().split(/\s+/);
  const allocated = num(a);
  const max = num(m);
  return allocated === undefined || max === undefined ? undefined : { allocated, max };
}

export function parseSingleNumber(text: string): number | undefined {
  return num(text.trim());
}

/** One /dev/kmsg record: its time (boot time + monotonic µs) and its message (continuation lines dropped). */
export function parseKmsgRecord(record: string, bootTimeMs: number): { timeMs: number; message: string } | undefined {
  const semi = record.indexOf(';');
  if (semi < 0) return undefined;
  const head = record.slice(0, semi).split(',');
  const us = num(head[2]);
  if (head.length < 3 || us === undefined) return undefined;
  const message = record.slice(semi + 1).split('\n')[0];
  return { timeMs: bootTimeMs + Math.floor(us / 1000), message };
}
