// A goroutine analysis as one self-contained HTML page: inline CSS and JS, no network, buckets
// collapsible (<details>), findings first. The doctor's report embeds the same sections.

import type { GoroutineAnalysis, GoroutineBucket, GoroutineDump, GoroutineFinding } from '../snapshot/types/goroutines.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function shortName(func: string): string {
  const s = func.lastIndexOf('/');
  return s === -1 ? func : func.slice(s + 1);
}

function wait(b: { waitMinMinutes: number; waitMaxMinutes: number; waitingCount?: number }): string {
  if (b.waitingCount === 0 || b.waitMaxMinutes === 0) return '';
  return b.waitMinMinutes === b.waitMaxMinutes ? `${b.waitMaxMinutes} min` : `${b.waitMinMinutes}–${b.waitMaxMinutes} min`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.finding{border-left:4px solid #999;padding:.4em .8em;margin:.6em 0;background:#f7f7f7}
.finding.critical{border-color:#c0392b}.finding.warning{border-color:#e67e22}.finding.info{border-color:#2980b9}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8em;margin-right:.5em}
.critical .sev{color:#c0392b}.warning .sev{color:#e67e22}.info .sev{color:#2980b9}
details.bucket{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.2em .6em}
details.bucket[open]{background:#fcfcfc}
summary{cursor:pointer}.count{display:inline-block;min-width:4em;font-weight:bold}
.state{color:#8e44ad}.wait{color:#c0392b;margin-left:.5em}
table.frames{border-collapse:collapse;margin:.4em 0}
table.frames td{padding:1px 8px;vertical-align:top;white-space:pre}
td.fn{color:#1a5276}td.loc{color:#777}
.meta{color:#666}.toolbar{margin:.6em 0}.toolbar input{width:24em}
`;

const JS = `
function setAll(open){document.querySelectorAll('details.bucket').forEach(function(d){d.open=open})}
function filterBuckets(q){var re;try{re=new RegExp(q,'i')}catch(e){return}
document.querySelectorAll('details.bucket').forEach(function(d){d.style.display=re.test(d.textContent)?'':'none'})}
`;

function findingHtml(f: GoroutineFinding, prefix: string): string {
  const links = f.links.map((l) => `<a href="${escapeHtml(l)}">${escapeHtml(l.replace(/^https:\/\/github\.com\//, ''))}</a>`).join(' · ');
  return `<div class="finding ${f.severity}"><span class="sev">${f.severity}</span><b>${escapeHtml(f.title)}</b>` +
    ` <span class="meta">(${f.count} goroutine${f.count === 1 ? '' : 's'}${f.waitMaxMinutes ? `, up to ${f.waitMaxMinutes} minutes` : ''}; buckets ${f.buckets.slice(0, 12).map((b) => `<a href="#${prefix}b${b}">#${b}</a>`).join(' ')})</span>` +
    `<p>${escapeHtml(f.explanation)}</p>` +
    (f.evidence.length ? `<pre>${f.evidence.map(escapeHtml).join('\n')}</pre>` : '') +
    (links ? `<div>${links}</div>` : '') + '</div>';
}

function bucketHtml(b: GoroutineBucket, prefix: string): string {
  const rows = b.frames
    .map((f) => `<tr><td class="fn">${escapeHtml(f.func)}(${escapeHtml(f.args)})</td><td class="loc">${escapeHtml(f.file)}:${f.line}</td></tr>`)
    .join('');
  const created = b.createdBy ? `<div class="meta">created by <code>${escapeHtml(b.createdBy.func)}</code> at ${escapeHtml(b.createdBy.file)}:${b.createdBy.line}</div>` : '';
  const flags = [b.lockedCount ? `${b.lockedCount} locked to thread` : '', b.elided ? 'frames elided' : '', b.stackUnavailable ? 'stack unavailable' : '']
    .filter(Boolean).join(', ');
  return `<details class="bucket" id="${prefix}b${b.id}"><summary><span class="count">${b.count}</span>` +
    `<span class="state">${escapeHtml(b.state)}</span><span class="wait">${wait(b)}</span> ` +
    `<code>${escapeHtml(shortName(b.topFunction))}</code> <span class="meta">#${b.id}</span></summary>` +
    `<table class="frames">${rows}</table>${created}` +
    `<div class="meta">ids: ${b.sampleIds.join(', ')}${b.count > b.sampleIds.length ? ', …' : ''}${flags ? ` · ${escapeHtml(flags)}` : ''}</div></details>`;
}

/** One dump's sections (findings, states, buckets); ids are prefixed so several dumps can share a page. */
export function renderGoroutineDumpHtml(d: GoroutineDump, prefix = ''): string {
  const origin = Object.entries(d.origin).map(([k, v]) => `${k}=${escapeHtml(String(v))}`).join(' ');
  const states = Object.entries(d.states).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${escapeHtml(s)}`).join(', ');
  return `<section><h2>Dump ${d.index + 1}: ${d.goroutines} goroutines in ${d.buckets.length} buckets</h2>` +
    `<div class="meta">${d.format}${origin ? ` · ${origin}` : ''} · similarity ${d.similarity} · bytes ${d.startOffset}–${d.endOffset}</div>` +
    (d.cut ? `<div class="finding warning"><span class="sev">cut</span>the dump stops at byte ${d.cut.offset} (line ${d.cut.line}): ${escapeHtml(d.cut.reason)}</div>` : '') +
    `<div class="meta">states: ${states}</div>` +
    (d.findings.length ? `<h2>Findings</h2>${d.findings.map((f) => findingHtml(f, prefix)).join('')}` : '<p>No findings.</p>') +
    `<h2>Buckets</h2>${d.buckets.map((b) => bucketHtml(b, prefix)).join('')}</section>`;
}

export function renderGoroutinesHtml(a: GoroutineAnalysis, title = 'ctrdoc goroutines'): string {
  const body = a.dumps.length
    ? a.dumps.map((d, i) => renderGoroutineDumpHtml(d, a.dumps.length > 1 ? `d${i}` : '')).join('')
    : '<p>No goroutine dump found in the input.</p>';
  const warnings = a.warnings.length ? `<pre>${a.warnings.map(escapeHtml).join('\n')}</pre>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style><script>${JS}</script></head>
<body><h1>${escapeHtml(title)}</h1>
<div class="meta">${a.inputBytes} bytes read, ${a.dumps.length} dump${a.dumps.length === 1 ? '' : 's'}, ${a.passthroughBytes} bytes of other text</div>
<div class="toolbar"><button onclick="setAll(true)">expand all</button> <button onclick="setAll(false)">collapse all</button>
<input placeholder="filter buckets (regex)" oninput="filterBuckets(this.value)"></div>
${warnings}${body}
</body></html>
`;
}
