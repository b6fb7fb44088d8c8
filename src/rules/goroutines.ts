// containerd's goroutine dumps (the debug socket's on every run; a bundle's too, on analyze): the
// analyser's findings (known signatures, lock pile-ups) become the doctor's. The same finding in
// several dumps of one daemon is one finding, the worst of them, saying in how many it was seen.
// The text is in rules/goroutines.json.
import type { Hit, Rule, RuleCode } from './rule.ts';
import { defineRules } from './rule.ts';
import type { GoroutineFinding } from '../snapshot/types/index.ts';
import { goroutinesTable } from './tables.ts';

const RANK = { critical: 0, warning: 1, info: 2 } as const;

const goroutineRule: RuleCode = {
  id: 'CONTAINERD_GOROUTINES',
  check(s) {
    const g = s.containerd.goroutines;
    if (!g) return { skipped: 'no goroutine dump in this Snapshot (taken by an older ctrdoc, only when something looked hung)' };
    if (g.status === 'skipped') return { skipped: `no goroutine dump was taken: ${g.message ?? 'skipped'}` };
    if (g.status !== 'ok' || !g.data) return { error: `could not take a goroutine dump: ${g.message ?? g.status}` };
    const dumps = g.data.dumps;
    const groups = new Map<string, { f: GoroutineFinding; seen: number[] }>();
    for (const d of dumps) {
      for (const f of d.findings) {
        if (f.severity === 'info') continue;
        const key = `${f.id}\0${f.title}`;
        const cur = groups.get(key);
        if (!cur) groups.set(key, { f, seen: [d.index] });
        else {
          cur.seen.push(d.index);
          if (RANK[f.severity] < RANK[cur.f.severity] || (f.severity === cur.f.severity && (f.waitMaxMinutes > cur.f.waitMaxMinutes || (f.waitMaxMinutes === cur.f.waitMaxMinutes && f.count > cur.f.count)))) cur.f = f;
        }
      }
    }
    const hits = [...groups.values()].map(({ f, seen }): Hit => ({
      summary: `${f.title} (${f.count} goroutines, up to ${f.waitMaxMinutes} min)`,
      severity: f.severity,
      evidence: [
        f.explanation.slice(0, 300),
        ...f.evidence.slice(0, 6),
        ...(dumps.length > 1 ? [`seen in ${seen.length} of ${dumps.length} dumps (${seen.map((i) => dumps[i]?.source ?? `dump ${i + 1}`).join('; ')})`] : []),
      ],
      references: f.links,
    }));
    return { hits };
  },
};

export const goroutineRules: Rule[] = defineRules(goroutinesTable, [goroutineRule]);
