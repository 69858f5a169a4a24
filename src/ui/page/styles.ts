/** The page's CSS, inlined into the HTML shell (live and exported pages look the same). */
export const pageCss = `
:root { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #202124; background: #f8f9fa; }
* { box-sizing: border-box; }
body { margin: 0; }
.loading, .error-box { padding: 24px; }
.error-box { color: #a50e0e; white-space: pre-wrap; }
header.rollout { background: #fff; border-bottom: 1px solid #dadce0; padding: 10px 16px; display: grid; gap: 6px; }
header .title { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: #5f6368; }
.badge.RUNNING { background: #1a73e8; } .badge.SUCCEEDED { background: #188038; } .badge.FAILED, .badge.TIMED_OUT, .badge.ABORTED { background: #d93025; } .badge.STOPPED { background: #7f3a33; }
.muted { color: #5f6368; }
.progress { height: 8px; background: #e8eaed; border-radius: 4px; overflow: hidden; display: flex; max-width: 720px; }
.progress span { display: block; height: 100%; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; }
.chip { display: inline-flex; align-items: center; gap: 4px; padding: 1px 8px; border: 1px solid #dadce0; border-radius: 10px; background: #fff; font-size: 12px; }
.chip i { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
main.layout { display: grid; grid-template-columns: minmax(320px, 540px) minmax(0, 1fr); gap: 12px; padding: 12px 16px; align-items: start; }
.panel { background: #fff; border: 1px solid #dadce0; border-radius: 6px; padding: 8px 10px; min-width: 0; }
.panel h2 { font-size: 13px; margin: 0 0 6px; font-weight: 600; }
.graph { overflow: auto; }
.graph svg { display: block; max-width: none; }
.graph .node rect { stroke: #5f6368; stroke-width: 1; }
.graph .node.group > rect { fill-opacity: 0.35; stroke-dasharray: 4 3; }
.graph .node text { font-size: 12px; fill: #202124; pointer-events: none; }
.graph .node.marker rect { fill: #fff !important; }
.graph .node.marker text { font-size: 11px; fill: #5f6368; }
.graph .node[data-status="in-progress"] > rect { stroke: #1a73e8; stroke-width: 2; }
.graph .node[data-status="failed"] > rect { stroke: #d93025; stroke-width: 2; }
.graph .edge path { fill: none; stroke: #80868b; stroke-width: 1.2; }
.graph .edge.catch path { stroke: #e37400; stroke-dasharray: 5 3; }
.graph .edge text { font-size: 10.5px; fill: #5f6368; }
.graph .edge.catch text { fill: #b06000; }
.graph .legend { display: flex; gap: 8px; flex-wrap: wrap; font-size: 11px; margin-top: 4px; }
.right { display: grid; gap: 12px; min-width: 0; }
.matrix-scroll { position: relative; overflow-x: hidden; overflow-y: auto; border: 1px solid #eceff1; }
.matrix-toolbar { display: grid; gap: 6px; margin-bottom: 6px; }
.matrix-toolbar .filters { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.matrix-toolbar button { border: 1px solid #dadce0; background: #fff; border-radius: 12px; padding: 2px 10px; cursor: pointer; font: inherit; font-size: 12px; }
.matrix-toolbar button[aria-pressed="true"] { background: #e8f0fe; border-color: #1a73e8; color: #174ea6; }
.matrix-toolbar input[type=search] { min-width: 240px; padding: 3px 8px; border: 1px solid #dadce0; border-radius: 4px; font: inherit; }
.badge.mode { background: #5f6368; }
header a[data-nav] { color: #1a73e8; text-decoration: none; }
.matrix-scroll canvas { position: sticky; top: 0; left: 0; display: block; }
.matrix-tip { position: fixed; pointer-events: none; background: #202124; color: #fff; padding: 4px 8px; border-radius: 4px; font-size: 12px; max-width: 420px; z-index: 10; white-space: pre-wrap; }
.failed-list { margin: 6px 0 0; padding: 0; list-style: none; max-height: 180px; overflow: auto; }
.failed-list li { padding: 2px 0; cursor: pointer; border-bottom: 1px solid #f1f3f4; }
.failed-list li:hover { background: #fce8e6; }
.stack-select { display: inline-block; margin: 0 0 6px; } .stack-select[hidden] { display: none; }
.stack-list { margin: 6px 0; padding-left: 18px; }
.stack-list li { padding: 2px 0; cursor: pointer; }
.stack-list li.shown { background: #e8f0fe; }
.stack-graph { display: block; margin: 4px 0 8px; }
.failed-list b { font-weight: 600; }
.target-panel .failure { background: #fce8e6; border-left: 4px solid #d93025; padding: 6px 10px; margin: 6px 0; }
.target-panel .failure dt { font-weight: 600; }
.target-panel .failure dd { margin: 0 0 4px; }
.target-grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; align-items: start; }
.target-panel { position: fixed; top: 0; right: 0; bottom: 0; width: min(680px, 55vw); overflow: auto; z-index: 5; border-radius: 0; box-shadow: -4px 0 16px rgba(60,64,67,.25); }
.target-panel[hidden] { display: none; }
body.panel-open header.rollout { margin-right: min(680px, 55vw); }
body.panel-open main.layout { margin-right: min(680px, 55vw); grid-template-columns: minmax(0, 1fr); }
body.panel-open main.layout > .right { order: -1; }
table.timeline td:first-child { white-space: nowrap; }
table.timeline { border-collapse: collapse; width: 100%; font-size: 12px; }
table.timeline td { padding: 2px 6px; border-bottom: 1px solid #f1f3f4; vertical-align: top; }
table.timeline tr.failure td { color: #a50e0e; }
table.timeline tr.retry td { color: #b06000; }
table.timeline tr.wait td { color: #5f6368; }
table.rollout-list { border-collapse: collapse; width: 100%; }
table.rollout-list th { text-align: left; font-weight: 600; border-bottom: 1px solid #dadce0; padding: 4px 8px; }
table.rollout-list td { padding: 4px 8px; border-bottom: 1px solid #f1f3f4; vertical-align: middle; }
table.rollout-list tbody tr { cursor: pointer; }
table.rollout-list tbody tr:hover { background: #f1f3f4; }
button.close { float: right; border: 1px solid #dadce0; background: #fff; border-radius: 4px; cursor: pointer; }
`;
