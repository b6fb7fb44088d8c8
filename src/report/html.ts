// The doctor's report as one self-contained HTML file: the diagnosis first (the incidents, worst
// first: cause, pods, proof, next step, fix), the stack (kubelet → containerd → shims →
// runc, and the node) coloured by its worst finding, the findings with evidence and next steps,
// the process tree with roles, the goroutine buckets (collapsible), and the probe timings.
// Inline CSS and JS only; a Content-Security-Policy forbids every fetch. Every string from the
// node (pod and container names, log lines, command lines) is hostile input and is escaped.
import type { Finding, Layer, Snapshot } from '../snapshot/types/index.ts';
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { ProcessRole, TreeProcess } from '../snapshot/types/tree.ts';
import type { DoctorReport, ReportFinding } from './doctor-report.ts';
import type { Incident } from '../incidents/index.ts';
import { escapeHtml as esc, renderGoroutineDumpHtml } from './goroutines-html.ts';
import { groupRules } from './finding-groups.ts';
import { shortRef } from './incident-lines.ts';
import { parseContainerdArgs, parseShimArgs } from '../sources/proc/argv.ts';

export interface HtmlReportOptions {
  /** where the Snapshot came from: "live" or the bundle's file name */
  source?: string;
  /** false when the bundle was written with --no-redact */
  redacted?: boolean;
  title?: string;
}

type Health = 'critical' | 'warning' | 'info' | 'ok' | 'unknown' | 'nodata';

const CSS = `
:root{--crit:#c0392b;--warn:#d35400;--info:#2471a3;--ok:#1e8449;--unk:#7d3c98;--nodata:#888}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1c2833;background:#f4f6f7}
header{background:#1c2833;color:#fdfefe;padding:1em 1.5em}header h1{margin:0 0 .2em;font-size:1.35em}
header .meta{color:#d5d8dc}
main{padding:0 1.5em 2em;max-width:1400px}
h2{font-size:1.15em;margin:1.6em 0 .6em;border-bottom:1px solid #d5d8dc;padding-bottom:.2em}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#fff;border:1px solid #e5e8e8;padding:.5em .7em;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.4em 0}
.meta{color:#5d6d7e}
.summary span{display:inline-block;margin-right:1.2em}
.badge{display:inline-block;border-radius:3px;padding:0 .45em;font-size:.78em;font-weight:600;text-transform:uppercase;color:#fff;background:var(--nodata);vertical-align:1px}
.badge.critical{background:var(--crit)}.badge.warning{background:var(--warn)}.badge.info{background:var(--info)}
.badge.ok,.badge.pass{background:var(--ok)}.badge.unknown,.badge.error{background:var(--unk)}.badge.skipped,.badge.nodata{background:var(--nodata)}
.stack{display:flex;align-items:stretch;flex-wrap:wrap;gap:0;margin:.6em 0}
.layer{flex:1 1 180px;min-width:170px;border-radius:6px;padding:.6em .8em;color:#fff;cursor:pointer;border:3px solid transparent;background:var(--nodata)}
.layer:hover,.layer.selected{border-color:#1c2833}
.layer h3{margin:0;font-size:1.05em}.layer .what{font-size:.85em;opacity:.95}
.layer.critical{background:var(--crit)}.layer.warning{background:var(--warn)}.layer.info{background:var(--info)}
.layer.ok{background:var(--ok)}.layer.unknown{background:var(--unk)}
.arrow{align-self:center;font-size:1.6em;padding:0 .3em;color:#5d6d7e}
.nodebar{margin-top:.4em}
.finding{background:#fff;border-left:5px solid var(--nodata);padding:.5em .9em;margin:.6em 0;border-radius:0 4px 4px 0}
.finding.critical{border-color:var(--crit)}.finding.warning{border-color:var(--warn)}.finding.info{border-color:var(--info)}
.finding.error{border-color:var(--unk)}.finding.pass{border-color:var(--ok)}
.finding .rule{font-family:ui-monospace,monospace;font-size:.85em;color:#5d6d7e;margin-left:.4em}
.finding .subject{color:#5d6d7e;font-size:.9em}
.finding .next{background:#eafaf1;border:1px solid #abebc6;padding:.3em .6em;border-radius:3px}
.finding .why{color:#34495e}
table{border-collapse:collapse;background:#fff}
th,td{padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
th{background:#eaeded;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.cmd{white-space:pre;font-family:ui-monospace,monospace;font-size:12px;max-width:70em;overflow:hidden;text-overflow:ellipsis}
.role{font-family:ui-monospace,monospace;font-size:12px;padding:0 .4em;border-radius:3px;background:#eaeded}
.role.containerd{background:#d6eaf8}.role.shim{background:#e8daef}.role.pause{background:#eaeded}.role.app{background:#d5f5e3}
.role.runc-init,.role.runc{background:#fdebd0}.role.zombie,.role.orphan{background:#fadbd8}
.bar{display:inline-block;height:.8em;background:#5dade2;vertical-align:middle}
.bar.timeout{background:var(--crit)}.bar.error{background:var(--unk)}.bar.skipped{background:#ccc}
details.more>summary{cursor:pointer;color:#2471a3;margin:.4em 0}
details.bucket{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.2em .6em;background:#fff}
summary{cursor:pointer}.count{display:inline-block;min-width:4em;font-weight:bold}
.state{color:#8e44ad}.wait{color:#c0392b;margin-left:.5em}
table.frames td{padding:1px 8px;white-space:pre;border:0}td.fn{color:#1a5276}td.loc{color:#777}
.toolbar{margin:.5em 0}.toolbar input{width:22em}
.warnbox{background:#fdedec;border:1px solid #f5b7b1;padding:.4em .8em;border-radius:4px}
.incident{background:#fff;border-left:6px solid var(--nodata);padding:.5em .9em;margin:.6em 0;border-radius:0 4px 4px 0}
.incident.critical{border-color:var(--crit)}.incident.warning{border-color:var(--warn)}.incident.info{border-color:var(--info)}
.incident h3{margin:0 0 .2em;font-size:1.05em}.incident .num{color:#5d6d7e;margin-right:.3em}
.incident .pods{color:#34495e}.incident .fix{background:#fef9e7;border:1px solid #f9e79f;padding:.3em .6em;border-radius:3px}
.incident .next{background:#eafaf1;border:1px solid #abebc6;padding:.3em .6em;border-radius:3px}
.tag{font-family:ui-monospace,monospace;font-size:.8em;color:#5d6d7e;margin-left:.4em}
footer{color:#888;padding:1em 1.5em}
`;

const JS = `
function setAll(open){document.querySelectorAll('details.bucket').forEach(function(d){d.open=open})}
function filterBuckets(q){var re;try{re=new RegExp(q,'i')}catch(e){return}
document.querySelectorAll('details.bucket').forEach(function(d){d.style.display=re.test(d.textContent)?'':'none'})}
function showLayer(el){var l=el.getAttribute('data-layer');var sel=el.classList.contains('selected');
document.querySelectorAll('.layer').forEach(function(x){x.classList.remove('selected')});
if(!sel)el.classList.add('selected');
document.querySelectorAll('#findings .finding').forEach(function(f){
var ls=(f.getAttribute('data-layers')||'').split(' ');f.style.display=(sel||ls.indexOf(l)>=0)?'':'none'})}
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The stack as the report draws it: each box gathers one or more finding layers. */
const BOXES: { id: string; title: string; layers: Layer[] }[] = [
  { id: 'kubelet', title: 'kubelet', layers: ['kubelet'] },
  { id: 'containerd', title: 'containerd (CRI)', layers: ['cri', 'containerd'] },
  { id: 'shim', title: 'shims', layers: ['shim'] },
  { id: 'runc', title: 'runc', layers: ['runc'] },
];

/** The worst a set of findings says about a layer. */
export function layerHealth(findings: Finding[], layers: Layer[]): Health {
  const mine = findings.filter((f) => layers.includes(f.layer));
  const fails = mine.filter((f) => f.status === 'fail');
  for (const sev of ['critical', 'warning', 'info'] as const) if (fails.some((f) => f.severity === sev)) return sev;
  if (mine.some((f) => f.status === 'error')) return 'unknown';
  if (mine.some((f) => f.status === 'pass')) return 'ok';
  return 'nodata';
}

const healthWord: Record<Health, string> = { critical: 'critical', warning: 'warning', info: 'info', ok: 'healthy', unknown: 'could not check', nodata: 'no data' };

function subjectHtml(f: Finding): string {
  const s = f.subject;
  if (!s) return '';
  const parts = [s.pod && `pod ${s.pod}`, s.container && `container ${s.container}`, s.containerId && `id ${s.containerId.slice(0, 13)}`,
    s.pid && `pid ${s.pid}`, s.shimPid && `shim ${s.shimPid}`, s.path].filter((x): x is string => !!x);
  return parts.length ? `<div class="subject">${parts.map(esc).join(' · ')}</div>` : '';
}

function layersOfBox(layer: Layer): string {
  const box = BOXES.find((b) => b.layers.includes(layer));
  return box ? box.id : layer;
}

function findingHtml(f: Finding | ReportFinding, number?: Map<string, number>): string {
  const cls = f.status === 'fail' ? f.severity : f.status;
  const inc = 'incident' in f && f.incident && number?.get(f.incident);
  const badge = f.status === 'fail' ? f.severity : f.status === 'error' ? 'could not check' : f.status;
  const refs = refLinks(f.references ?? []);
  return `<div class="finding ${esc(cls)}" data-layers="${esc(layersOfBox(f.layer))}">` +
    `<span class="badge ${esc(cls)}">${esc(badge)}</span> <b>${esc(f.title)}</b><span class="rule">${esc(f.rule)} · ${esc(f.layer)}</span>` +
    (inc ? `<a class="tag" href="#incident-${inc}">incident #${inc}</a>` : '') +
    subjectHtml(f) +
    `<p>${esc(f.summary)}</p>` +
    (f.evidence.length ? `<pre class="evidence">${f.evidence.map(esc).join('\n')}</pre>` : '') +
    (f.explanation ? `<p class="why"><b>Why:</b> ${esc(f.explanation)}</p>` : '') +
    (f.nextStep ? `<p class="next"><b>Next:</b> <code>${esc(f.nextStep)}</code></p>` : '') +
    (refs ? `<div class="meta">See: ${refs}</div>` : '') +
    '</div>';
}

function refLinks(refs: string[]): string {
  return refs.map((r) => /^https?:\/\//.test(r) ? `<a href="${esc(r)}" rel="noreferrer noopener">${esc(shortRef(r))}</a>` : esc(r)).join(' · ');
}

function incidentHtml(i: Incident, n: number, r: DoctorReport): string {
  const keys = new Set([...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]);
  const explained = r.findings.filter((f) => i.findings.consequences.includes(f.key));
  const what = explained.length ? groupRules({ findings: explained }) : '';
  const refs = refLinks(i.references);
  return `<div class="incident ${esc(i.severity)}" id="incident-${n}">` +
    `<h3><span class="num">#${n}</span><span class="badge ${esc(i.severity)}">${esc(i.severity)}</span> ${esc(i.title)}</h3>` +
    `<div class="meta">${esc(i.layer)} layer · ${esc(i.certainty)} · ${keys.size} finding${keys.size === 1 ? '' : 's'}${what ? ` · explains ${esc(what)}` : ''}</div>` +
    (i.pods.length ? `<p class="pods"><b>${i.pods.length} pod${i.pods.length === 1 ? '' : 's'}:</b> ${i.pods.map(esc).join(', ')}</p>` : '') +
    (i.proof.length ? `<pre class="evidence">${i.proof.map(esc).join('\n')}</pre>` : '') +
    (i.nextStep ? `<p class="next"><b>Next:</b> <code>${esc(i.nextStep)}</code></p>` : '') +
    (i.fix ? `<p class="fix"><b>Fix:</b> ${esc(i.fix)}</p>` : '') +
    (refs ? `<div class="meta">See: ${refs}</div>` : '') +
    '</div>';
}

function diagnosisHtml(r: DoctorReport): string {
  if (!r.incidents.length) return '<p>No problem found.</p>';
  const urgent = r.incidents.filter((i) => i.severity !== 'info');
  const rest = r.incidents.length - urgent.length;
  return (urgent.length ? urgent : r.incidents).map((i) => incidentHtml(i, r.incidents.indexOf(i) + 1, r)).join('') +
    (urgent.length && rest ? `<details class="more"><summary>${rest} more at info level</summary>${r.incidents.filter((i) => i.severity === 'info').map((i) => incidentHtml(i, r.incidents.indexOf(i) + 1, r)).join('')}</details>` : '');
}

/** What each layer's box says under its title, in a few words. */
const BOX_DETAIL: Record<string, (s: Snapshot) => string> = {
  kubelet(s) {
    const k = s.kubelet.data;
    if (!k) return `kubelet: ${s.kubelet.message ?? s.kubelet.status}`;
    return [k.pid ? `pid ${k.pid}` : 'no process', k.version, k.runtimeEndpoint && `→ ${k.runtimeEndpoint}`].filter(Boolean).join(' · ');
  },
  containerd(s) {
    const p = s.containerd.process.data;
    const v = s.containerd.version.data?.version ?? s.cri.version.data?.runtimeVersion;
    const pods = s.cri.pods.data;
    const containers = s.cri.containers.data;
    return [v && `v${v.replace(/^v/, '')}`, p && `pid ${p.pid} (${p.state})`, pods && `${pods.length} pods`,
      containers && `${containers.length} containers`].filter(Boolean).join(' · ') || String(s.cri.version.message ?? '');
  },
  shim(s) {
    const shims = s.tree.data?.shims;
    if (shims) return `${shims.length} shim${shims.length === 1 ? '' : 's'}`;
    const n = s.proc.data?.processes.filter((p) => /^containerd-shim/.test(p.comm) && servesThis(p, s.stack.address)).length;
    return n === undefined ? 'no process table' : `${n} shim process${n === 1 ? '' : 'es'}`;
  },
  runc(s) {
    const r = s.runc.data;
    if (!r) return `runc state: ${s.runc.message ?? s.runc.status}`;
    const by: Record<string, number> = {};
    for (const c of r.containers) by[c.status] = (by[c.status] ?? 0) + 1;
    return `${r.containers.length} containers${Object.keys(by).length ? ` (${Object.entries(by).map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`;
  },
};

const boxDetail = (s: Snapshot, id: string): string => (Object.hasOwn(BOX_DETAIL, id) ? BOX_DETAIL[id](s) : '');

function stackHtml(s: Snapshot, r: DoctorReport): string {
  const boxes = BOXES.map((b, i) => {
    const h = layerHealth(r.findings, b.layers);
    const fails = r.findings.filter((f) => b.layers.includes(f.layer) && f.status === 'fail').length;
    return (i ? '<div class="arrow">→</div>' : '') +
      `<div class="layer ${h}" data-layer="${b.id}" onclick="showLayer(this)" title="show only this layer's findings">` +
      `<h3>${esc(b.title)}</h3><div class="what">${esc(healthWord[h])}${fails ? ` · ${fails} finding${fails === 1 ? '' : 's'}` : ''}</div>` +
      `<div class="what">${esc(boxDetail(s, b.id))}</div></div>`;
  }).join('');
  const nh = layerHealth(r.findings, ['node']);
  const n = s.node.data;
  const nodeWhat = n ? `load ${n.loadavg.join(' ')} · ${Math.round(n.memAvailableKb / 1024)} MiB available of ${Math.round(n.memTotalKb / 1024)} · ${n.dStateTasks.length} in D state`
    : `node: ${s.node.message ?? s.node.status}`;
  return `<div class="stack">${boxes}</div>` +
    `<div class="stack nodebar"><div class="layer ${nh}" data-layer="node" onclick="showLayer(this)"><h3>node</h3>` +
    `<div class="what">${esc(healthWord[nh])} · ${esc(nodeWhat)}</div></div></div>`;
}

const roleOrder: ProcessRole[] = ['containerd', 'shim', 'pause', 'app', 'child', 'runc-init', 'runc', 'zombie', 'orphan', 'other'];

function treeRows(procs: TreeProcess[]): string {
  return procs.map((p) => {
    const who = [p.pod?.namespace && p.pod?.name ? `${p.pod.namespace}/${p.pod.name}` : p.pod?.sandboxId?.slice(0, 13), p.container?.name].filter(Boolean).join(' · ');
    return `<tr><td class="num">${p.pid}</td><td class="num">${p.ppid}</td><td><span class="role ${esc(p.role)}">${esc(p.role)}</span></td>` +
      `<td>${esc(p.stat)}</td><td class="num">${p.rssKb}</td><td class="num">${p.cpuPercent.toFixed(1)}</td><td>${esc(who)}</td>` +
      `<td class="cmd" title="${esc(p.command)}">${'  '.repeat(p.depth)}${esc(p.command.slice(0, 300))}</td></tr>`;
  }).join('');
}

/** A shim started by the containerd at `address` (its -address flag), or that containerd itself. */
export function servesThis(p: ProcessInfo, address: string): boolean {
  const a = /^containerd-shim/.test(p.comm) ? parseShimArgs(p.cmdline).address : parseContainerdArgs(p.cmdline).address;
  return a === undefined || a === address;
}

/** Without the joined tree: containerd, its shims and everything under them, from the process table. */
export function stackProcesses(procs: ProcessInfo[], opts: { containerdPid?: number; address?: string } = {}): { p: ProcessInfo; depth: number; role: ProcessRole }[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const roleOf = (p: ProcessInfo, parentRole?: ProcessRole): ProcessRole => {
    if (p.state === 'Z') return 'zombie';
    if (/^containerd-shim/.test(p.comm)) return 'shim';
    if (p.comm === 'containerd') return 'containerd';
    if (/^runc:\[/.test(p.comm) || (p.cmdline[0]?.endsWith('runc') && p.cmdline[1] === 'init')) return 'runc-init';
    if (p.comm === 'runc' || p.cmdline[0]?.endsWith('/runc')) return 'runc';
    if (p.comm === 'pause' && parentRole === 'shim') return 'pause';
    if (parentRole === 'shim') return 'app';
    return parentRole ? 'child' : 'other';
  };
  const out: { p: ProcessInfo; depth: number; role: ProcessRole }[] = [];
  const seen = new Set<number>();
  const visit = (p: ProcessInfo, depth: number, parentRole?: ProcessRole) => {
    if (seen.has(p.pid) || out.length > 5000) return;
    seen.add(p.pid);
    const role = roleOf(p, parentRole);
    out.push({ p, depth, role });
    for (const c of (children.get(p.pid) ?? []).sort((a, b) => a.pid - b.pid)) visit(c, depth + 1, role);
  };
  const mine = (p: ProcessInfo) => p.comm === 'kubelet' || (p.comm === 'containerd' ? (opts.containerdPid ? p.pid === opts.containerdPid : true)
    : /^containerd-shim/.test(p.comm) && (!opts.address || servesThis(p, opts.address)));
  const roots = procs.filter((p) => mine(p) && !procs.some((q) => q.pid === p.ppid && mine(q)));
  for (const r of roots.sort((a, b) => a.pid - b.pid)) visit(r, 0);
  return out;
}

function treeHtml(s: Snapshot): string {
  const head = '<table class="tree"><thead><tr><th>PID</th><th>PPID</th><th>ROLE</th><th>STAT</th><th>RSS KB</th><th>%CPU</th><th>POD · CONTAINER</th><th>COMMAND</th></tr></thead><tbody>';
  const t = s.tree.data;
  if (t) {
    const counts = roleOrder.map((r) => [r, t.processes.filter((p) => p.role === r).length] as const).filter(([, n]) => n);
    const facts = t.facts.length ? `<pre>${t.facts.map((f) => `${esc(f.kind)}: ${esc(f.message)}`).join('\n')}</pre>` : '';
    return `<div class="meta">${counts.map(([r, n]) => `${n} ${esc(r)}`).join(' · ')}</div>${facts}${head}${treeRows(t.processes)}</tbody></table>`;
  }
  const procs = s.proc.data?.processes;
  const why = `<p class="meta">The joined process tree is not in this Snapshot (${esc(s.tree.message ?? s.tree.status)}).${procs ? ' Below: containerd, its shims and their descendants from the process table, with roles guessed from the command lines.' : ''}</p>`;
  if (!procs) return why;
  const rows = stackProcesses(procs, { containerdPid: s.containerd.process.data?.pid ?? s.stack.containerdPid, address: s.stack.address }).map(({ p, depth, role }) => {
    const cmd = p.cmdline.length ? p.cmdline.join(' ') : `[${p.comm}]`;
    return `<tr><td class="num">${p.pid}</td><td class="num">${p.ppid}</td><td><span class="role ${esc(role)}">${esc(role)}</span></td>` +
      `<td>${esc(p.state)}</td><td class="num">${p.rssKb}</td><td class="num">${p.cpuPercent.toFixed(1)}</td><td></td>` +
      `<td class="cmd" title="${esc(cmd)}">${'  '.repeat(depth)}${esc(cmd.slice(0, 300))}</td></tr>`;
  }).join('');
  return why + (rows ? `${head}${rows}</tbody></table>` : '<p>No containerd process in the process table.</p>');
}

function goroutinesHtml(s: Snapshot): string {
  const g = s.containerd.goroutines;
  if (!g) return '<p class="meta">No goroutine dump in this Snapshot (the doctor reads one from containerd\'s debug socket on every run; <code>ctrdoc goroutines</code> takes one on demand).</p>';
  if (!g.data) return `<p class="meta">goroutine dump: ${esc(g.status)}${g.message ? `: ${esc(g.message)}` : ''}</p>`;
  const a = g.data;
  return '<div class="toolbar"><button type="button" onclick="setAll(true)">expand all</button> <button type="button" onclick="setAll(false)">collapse all</button> ' +
    '<input placeholder="filter buckets (regex)" oninput="filterBuckets(this.value)"></div>' +
    (a.warnings.length ? `<pre>${a.warnings.map(esc).join('\n')}</pre>` : '') +
    (a.dumps.length ? a.dumps.map((d, i) => renderGoroutineDumpHtml(d, `g${i}`)).join('') : '<p>No goroutine dump found in the input.</p>');
}

function probesHtml(r: DoctorReport): string {
  const max = Math.max(1, ...r.probes.map((p) => p.durationMs));
  const rows = [...r.probes].sort((a, b) => b.durationMs - a.durationMs).map((p) =>
    `<tr><td><code>${esc(p.probe)}</code></td><td><span class="badge ${p.status === 'ok' ? 'ok' : p.status === 'timeout' ? 'critical' : p.status === 'error' ? 'error' : 'skipped'}">${esc(p.status)}</span></td>` +
    `<td class="num">${p.durationMs}</td><td><span class="bar ${esc(p.status)}" style="width:${Math.max(1, Math.round((p.durationMs / max) * 240))}px"></span></td>` +
    `<td class="meta">${esc(p.message ?? '')}</td></tr>`).join('');
  return `<table><thead><tr><th>PROBE</th><th>STATUS</th><th>MS</th><th></th><th>MESSAGE</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtmlReport(s: Snapshot, r: DoctorReport, opts: HtmlReportOptions = {}): string {
  const title = opts.title ?? `ctrdoc report: ${s.host.hostname}`;
  const rt = r.runtime;
  const shown = r.findings.filter((f) => f.status === 'fail' || f.status === 'error');
  const rest = r.findings.filter((f) => f.status === 'pass' || f.status === 'skipped');
  const sm = r.summary;
  const source = opts.source ?? 'live';
  const number = new Map(r.incidents.map((i, n) => [i.id, n + 1]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style><script>${JS}</script></head>
<body>
<header><h1>${esc(title)}</h1>
<div class="meta">containerd ${esc(rt.version ?? '(version unknown)')}${rt.pid ? ` pid ${rt.pid} (${esc(rt.state ?? '?')})` : ''} at ${esc(rt.endpoint)} · kernel ${esc(s.host.kernel)} · ${s.host.cpus} CPUs</div>
<div class="meta">collected ${esc(r.collectedAt)} in ${(r.durationMs / 1000).toFixed(2)} s · source: ${esc(source)}${opts.redacted === false ? ' · NOT REDACTED' : ''} · ctrdoc ${esc(s.ctrdocVersion)}</div></header>
<main>
<h2 id="diagnosis">Diagnosis</h2>
${diagnosisHtml(r)}
<h2>Stack</h2>
${stackHtml(s, r)}
<div class="summary"><span><span class="badge critical">critical</span> ${sm.critical}</span><span><span class="badge warning">warning</span> ${sm.warning}</span>
<span><span class="badge info">info</span> ${sm.info}</span><span><span class="badge pass">passed</span> ${sm.passed}</span><span><span class="badge skipped">skipped</span> ${sm.skipped}</span>
<span><span class="badge error">could not check</span> ${sm.couldNotCheck}</span></div>
<h2 id="findings-title">Findings</h2>
<div id="findings">${shown.length ? shown.map((f) => findingHtml(f, number)).join('') : '<p>No problems found.</p>'}
${rest.length ? `<details class="more"><summary>${rest.length} checks passed or skipped</summary>${rest.map((f) => findingHtml(f)).join('')}</details>` : ''}</div>
<h2>Process tree</h2>
${treeHtml(s)}
<h2>Goroutines (containerd)</h2>
${goroutinesHtml(s)}
<h2>Probe timings</h2>
${probesHtml(r)}
</main>
<footer>Written by ctrdoc ${esc(s.ctrdocVersion)}. Self-contained: no scripts, styles or fonts are fetched.</footer>
</body></html>
`;
}
