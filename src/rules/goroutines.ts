// containerd's goroutine dump, when one was taken: the analyser's findings (known signatures,
// lock pile-ups) become the doctor's.
import type { Hit, Rule } from './rule.ts';
import type { GoroutineFinding } from '../snapshot/types/index.ts';

const goroutineRule: Rule = {
  id: 'CONTAINERD_GOROUTINES',
  layer: 'containerd',
  severity: 'critical',
  title: 'containerd\'s goroutines show a known hang',
  explanation: 'A goroutine dump shows where containerd waits: piles of goroutines blocked for minutes on one lock or call, and signatures of known bugs.',
  nextStep: 'ctrdoc goroutines on the dump for the full bucket table',
  references: [],
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

export const goroutineRules: Rule[] = [goroutineRule];
