/** The execution graph view: `stackfleet ui` serves it, `stackfleet ui --export` writes it to a file. */

export { aslToGraph } from './asl-graph';
export { readHistory } from './execution-history';
export { buildExportBundle, type ExportUiOptions, exportUiHtml } from './export';
export { startUiServer, type UiServer, type UiServerOptions } from './server';
