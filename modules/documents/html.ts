/**
 * A document model as one HTML page: the preview of what prints (same words, same order, the
 * address where the envelope window is), for a browser or an integrator's screen. Every text is
 * escaped; the QR code is an inline SVG drawn from the same modules as the PDF's.
 */
import Handlebars from 'handlebars';
import type { Block, DocumentModel } from './model.js';
import { windowRect, MM, type Envelope, type WindowSide } from './window.js';

const esc = (s: string): string => Handlebars.escapeExpression(s);
const mm = (points: number): string => `${(points / MM).toFixed(1)}mm`;

function qrSvg(matrix: boolean[][]): string {
  const n = matrix.length;
  const cells: string[] = [];
  matrix.forEach((row, r) => row.forEach((dark, c) => { if (dark) cells.push(`M${c + 2} ${r + 2}h1v1h-1z`); }));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 4} ${n + 4}" width="120" height="120" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="${cells.join('')}" fill="#000"/></svg>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'title': return `<h1>${esc(b.text)}</h1>${b.subtitle ? `<p class="subtitle">${esc(b.subtitle)}</p>` : ''}`;
    case 'paragraph': return `<p${b.bold ? ' class="bold"' : ''}>${esc(b.text).replace(/\n/g, '<br>')}</p>`;
    case 'fields': return `<dl>${b.rows.map(([l, v]) => `<dt>${esc(l)}:</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
    case 'table': return `<table><thead><tr>${b.columns.map((c) => `<th>${esc(c.header)}</th>`).join('')}</tr></thead><tbody>${
      b.rows.map((r) => `<tr${r.bold ? ' class="bold"' : ''}>${r.cells.map((c, k) => `<td class="${b.columns[k].align}">${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    case 'payment': return `<section class="payment"><div class="qr" title="${esc(b.payload)}">${qrSvg(b.matrix)}</div><div><p class="bold">${esc(b.title)}</p>${
      b.lines.map(([l, v]) => `<p>${esc(l)}: ${esc(v)}</p>`).join('')}</div></section>`;
    case 'signatures': {
      const hint = b.hint ? `<br><small>${esc(b.hint)}</small>` : '';
      return `<section class="signatures"><p>${esc(b.left)}${hint}</p><p>${esc(b.right)}${hint}</p></section>`;
    }
    case 'space': return '<div class="space"></div>';
    case 'page-break': return '<hr class="page-break">';
  }
}

export function renderHtml(model: DocumentModel, window: { envelope: Envelope; side: WindowSide }): string {
  const rtl = model.lang === 'ar';
  const w = windowRect(window.envelope, window.side);
  const head = model.letterhead;
  return `<!doctype html>
<html lang="${model.lang}" dir="${rtl ? 'rtl' : 'ltr'}"><head><meta charset="utf-8"><title>${esc(model.title)}</title>
<style>
body{margin:0;background:#ddd;font-family:"Noto Sans","Noto Naskh Arabic","Noto Sans SC",sans-serif;font-size:9.5pt}
.page{position:relative;width:210mm;min-height:297mm;margin:8mm auto;background:#fff;padding:12mm 15mm 18mm 20mm;box-sizing:border-box}
.head{height:30mm;box-sizing:border-box;overflow:hidden;border-bottom:0.5pt solid #888;padding-bottom:2mm}.head .name{font-weight:bold;font-size:11pt}.head .logo{float:${rtl ? 'right' : 'left'};max-width:40mm;max-height:16mm;margin-${rtl ? 'left' : 'right'}:4mm}.head p{margin:0;font-size:7.5pt}
.window{position:absolute;left:${mm(w.x)};top:${mm(w.y)};width:${mm(w.width)};height:${mm(w.height)};padding:4mm;box-sizing:border-box;outline:0.3pt dashed #bbb;direction:${rtl ? 'rtl' : 'ltr'}}
.window p{margin:0;font-size:10pt}.window p:first-child{font-weight:bold}
.date{position:absolute;top:${mm(w.y + 2 * MM)};${window.side === 'left' ? 'right:15mm' : 'left:20mm'}}
.body{margin-top:${mm(w.y + w.height + 6 * MM - 42 * MM)}}
h1{text-align:center;font-size:14pt;margin:0}.subtitle{text-align:center;margin-top:0}.bold{font-weight:bold}
dl{display:grid;grid-template-columns:max-content auto;gap:0 3mm}dd{margin:0}
table{width:100%;border-collapse:collapse;margin:3mm 0}th{background:#eee;padding:3pt}td{padding:3pt;border-bottom:0.2pt solid #999;vertical-align:top}
td.end{text-align:end;white-space:nowrap}
.payment{display:flex;gap:6mm;align-items:flex-start}.payment p{margin:0}
.signatures{display:flex;justify-content:space-around;margin-top:6mm;min-height:28mm;font-weight:bold;text-align:center}.signatures small{font-weight:normal}
hr.page-break{border:0;border-top:1pt dashed #999;margin:10mm 0}footer{font-size:7.5pt;color:#444;margin-top:8mm}
</style></head><body><div class="page">
<header class="head">${head.logo ? `<img class="logo" alt="" src="data:${head.logo.mediaType};base64,${Buffer.from(head.logo.data).toString('base64')}">` : ''}<p class="name">${esc(head.name)}</p>${head.lines.map((l) => `<p>${esc(l)}</p>`).join('')}</header>
${model.dateLine ? `<p class="date">${esc(model.dateLine)}</p>` : ''}
${model.recipient ? `<address class="window">${model.recipient.map((l) => `<p>${esc(l)}</p>`).join('')}</address>` : ''}
<main class="body">${model.blocks.map(block).join('\n')}</main>
${head.footer ? `<footer>${esc(head.footer)}</footer>` : ''}
</div></body></html>`;
}
