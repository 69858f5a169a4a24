/**
 * The page shell and its bundled script. The script is built from `src/ui/page/main.ts` with
 * esbuild when the server starts (once per process), so there is no build step to forget and
 * no framework: the shell, the CSS and one IIFE.
 */
import * as path from 'node:path';
import { PageBuildError } from './errors';
import { pageCss } from './page/styles';

let bundle: Promise<string> | undefined;

/** The page script as one IIFE (built once per process). */
export function pageScript(): Promise<string> {
  if (!bundle) {
    bundle = (async () => {
      let esbuild: typeof import('esbuild');
      try {
        esbuild = await import('esbuild');
      } catch (error) {
        throw new PageBuildError('The UI page is bundled with esbuild, which is not installed. Run npm ci.', {
          cause: error,
        });
      }
      try {
        const result = await esbuild.build({
          entryPoints: [path.join(__dirname, 'page', 'main.ts')],
          bundle: true,
          write: false,
          format: 'iife',
          target: 'es2020',
          platform: 'browser',
          minify: true,
          legalComments: 'none',
          logLevel: 'silent',
        });
        return result.outputFiles[0]?.text ?? '';
      } catch (error) {
        throw new PageBuildError(`Could not bundle the UI page: ${(error as Error).message}`, {
          cause: error,
        });
      }
    })();
    bundle.catch(() => {
      bundle = undefined;
    });
  }
  return bundle;
}

/** JSON that is safe inside a `<script>` element. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The HTML of the page: live (script from /app.js) or self-contained (script and data inlined). */
export function renderPageHtml(options: {
  config: unknown;
  script?: string;
  data?: unknown;
  title?: string;
}): string {
  const title = (options.title ?? 'stackfleet rollout').replace(/[<>&"]/g, '');
  const scriptTag = options.script
    ? `<script>${options.script.replace(/<\/script/gi, '<\\/script')}</script>`
    : '<script src="/app.js"></script>';
  const data =
    options.data !== undefined
      ? `<script type="application/json" id="stackfleet-data">${inlineJson(options.data)}</script>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:">
<title>${title}</title>
<style>${pageCss}</style>
</head>
<body>
<div id="app"><p class="loading">Loading rollout…</p></div>
<script type="application/json" id="stackfleet-config">${inlineJson(options.config)}</script>
${data}
${scriptTag}
</body>
</html>
`;
}
