#!/usr/bin/env node
// `npm run dashboards`: regenerates grafana/dashboards/*.json from the dashboards-as-code in
// grafana/dashboards/src (TypeScript, @grafana/grafana-foundation-sdk). The TypeScript is
// compiled on the fly with @swc/core (already used by jest), so no build step is needed.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

require(join(__dirname, '..', 'grafana', 'dashboards', 'generate.ts'));
