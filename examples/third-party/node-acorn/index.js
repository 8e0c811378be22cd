// Parses JavaScript with acorn (npm), the parser webpack and rollup use: acorn's own
// distribution file, read once at init, parsed on every invocation. The first parses run
// before V8's optimizing compiler has caught up.
const fs = require('fs');
const acorn = require('acorn');

const source = fs.readFileSync(require.resolve('acorn'), 'utf8');

exports.handler = async (event) => {
  const copies = Number(event?.copies ?? 1);
  let nodes = 0;
  for (let i = 0; i < copies; i++) {
    nodes += acorn.parse(source, { ecmaVersion: 'latest' }).body.length;
  }
  return { statements: nodes };
};
