// A mixed Node.js workload from npm packages: multiplies two random matrices with mathjs,
// writes a document as YAML with js-yaml, deflates it with zlib, and renders and resizes an
// image with sharp (libvips underneath).
const math = require('mathjs');
const yaml = require('js-yaml');
const zlib = require('zlib');
const sharp = require('sharp');

exports.handler = async (event) => {
  const n = Number(event?.n ?? 100);
  const product = math.multiply(math.random([n, n]), math.random([n, n]));
  const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item${i}`, tags: ['a', 'b'] }));
  const deflated = zlib.deflateSync(Buffer.from(yaml.dump({ items })));
  const image = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
  const thumbnail = await sharp(image).resize(200, 150).toBuffer();
  return { sum: math.sum(product), deflated: deflated.length, thumbnail: thumbnail.length };
};
