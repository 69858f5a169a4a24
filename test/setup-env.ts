/**
 * Test-wide environment: the SDK's Node 20 end-of-support notice (eight lines per worker) would
 * bury real failures in CI output; the README states the Node version policy instead.
 */
import '../src/core/polyfills';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Property tests explore new cases on every developer run; in CI they replay one fixed seed so a
// submission's result does not depend on luck (a failure found locally prints its own seed).
if (process.env.CI) {
  const fc = require('fast-check') as typeof import('fast-check');
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: 20261127 });
}
