/**
 * Test-wide environment: the SDK's Node 20 end-of-support notice (eight lines per worker) would
 * bury real failures in CI output; the README states the Node version policy instead.
 */
import '../src/core/polyfills';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
