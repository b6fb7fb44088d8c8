// containerd's goroutine dump, when one was taken: the analyser's findings (known signatures,
// lock pile-ups) become the doctor's. The text is in rules/goroutines.json.
import type { Hit, Rule, RuleCode } from './rule.ts';
import { defineRules } from './rule.ts';
import type { GoroutineFinding } from '../snapshot/types/index.ts';
import { goroutinesTable } from './tables.ts';

const goroutineRule: RuleCode = {
  id: 'CONTAINERD_GOROUTINES',
  check(s) {
    const g = s.containerd.goroutines;
    if (!g) return { skipped: 'no goroutine dump was taken (the debug socket is off and --signal was not given, or nothing looked hung)' };
    if (g.status !== 'ok' || !g.data) return { error: `could not take a goroutine dump: ${g.message ?? g.status}` };
    const all: GoroutineFinding[] = g.data.dumps.flatMap((d) => d.findings);
    const hits = all.filter((f) => f.severity !== 'info').map((f): Hit => ({
      summary: `${f.title} (${f.count} goroutines, up to ${f.waitMaxMinutes} min)`,
      severity: f.severity,
      evidence: [f.explanation.slice(0, 300), ...f.evidence.slice(0, 6)],
      references: f.links,
    }));
    return { hits };
  },
};

export const goroutineRules: Rule[] = defineRules(goroutinesTable, [goroutineRule]);
