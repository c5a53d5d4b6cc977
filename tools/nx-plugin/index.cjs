'use strict';
// Nx loads a local plugin with require() and compiles TypeScript only through @swc-node or ts-node, which this
// workspace does not install; tsx (already a dependency) compiles plugin.ts and the stage registry it imports.
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./plugin.ts', __filename);
