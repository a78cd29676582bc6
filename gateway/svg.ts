/**
 * What the project's SVG pictures share (the rollout timeline, the outcome
 * series): text escaped for XML, and the opening of a picture with its fonts.
 */
export function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** `<svg …><style>…</style>`: the classes title, sub, label and axis, plus `extraStyle` lines. */
export function svgOpen (width: number, height: number, title: string, extraStyle: readonly string[] = []): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">
  <style>
    text { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; fill: #1f2430; }
    .title { font-size: 16px; font-weight: 600; }
    .sub { font-size: 11px; fill: #5b6372; }
    .label { font-size: 13px; }
    .axis { font-size: 11px; fill: #5b6372; }
${extraStyle.map(l => `    ${l}\n`).join('')}  </style>`
}
