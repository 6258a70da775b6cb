// Draws the app and tray icons (a white "X" on a blue rounded square) and writes them as PNG, ICO and ICNS,
// with nothing but Node's zlib, so the icons can be regenerated anywhere: `node resources/icons/generate-icons.mjs`.
// The files are committed; packaging and the tray use them as they are.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Samples per pixel side for anti-aliasing. */
const SUPERSAMPLE = 4;

/** CRC-32 as PNG chunks need it (ISO 3309 polynomial). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Encodes RGBA pixels (Uint8Array, size*size*4) as an 8-bit RGBA PNG. */
function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Distance from point p to segment a-b (all in unit coordinates). */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function insideRoundedSquare(x, y, inset, radius) {
  const lo = inset + radius;
  const hi = 1 - inset - radius;
  const cx = Math.min(Math.max(x, lo), hi);
  const cy = Math.min(Math.max(y, lo), hi);
  return x >= inset && x <= 1 - inset && y >= inset && y <= 1 - inset && Math.hypot(x - cx, y - cy) <= radius;
}

/** A letter-like "X": one thick and one thin stroke, taller than wide, so it does not read as a close button. */
function insideCross(x, y, arm, stroke) {
  const top = arm - 0.06;
  const bottom = 1 - top;
  return (
    segmentDistance(x, y, arm, top, 1 - arm, bottom) <= stroke / 2 ||
    segmentDistance(x, y, 1 - arm, top, arm, bottom) <= stroke * 0.28
  );
}

/**
 * Renders one icon. `style` 'app': blue rounded square (top #3b82f6 to bottom #1e3a8a) with a white "X";
 * 'tray': the same, with thicker strokes so it reads at 16 px; 'template': a black "X" on transparent
 * (macOS menu-bar template image).
 */
function render(size, style) {
  const rgba = new Uint8Array(size * size * 4);
  const template = style === 'template';
  const stroke = style === 'app' ? 0.17 : 0.22;
  const arm = template ? 0.24 : 0.31;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          if (template) {
            if (insideCross(x, y, arm, stroke)) a += 1;
            continue;
          }
          if (!insideRoundedSquare(x, y, 0.04, 0.2)) continue;
          a += 1;
          if (insideCross(x, y, arm, stroke)) {
            r += 255; g += 255; b += 255;
          } else {
            r += 0x3b + (0x1e - 0x3b) * y;
            g += 0x82 + (0x3a - 0x82) * y;
            b += 0xf6 + (0x8a - 0xf6) * y;
          }
        }
      }
      const i = (py * size + px) * 4;
      const samples = SUPERSAMPLE * SUPERSAMPLE;
      if (a > 0) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
      }
      rgba[i + 3] = Math.round((255 * a) / samples);
    }
  }
  return encodePng(size, rgba);
}

/** Windows icon: a directory of PNG images (allowed in .ico since Windows Vista). */
function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size; // 0 means 256
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map(({ png }) => png)]);
}

/** macOS icon: 'icns' container with PNG elements (ic07 128, ic08 256, ic09 512, ic10 1024 px). */
function encodeIcns(images) {
  const types = { 128: 'ic07', 256: 'ic08', 512: 'ic09', 1024: 'ic10' };
  const elements = images.map(({ size, png }) => {
    const head = Buffer.alloc(8);
    head.write(types[size], 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(elements);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

const app = Object.fromEntries([16, 24, 32, 48, 64, 128, 256, 512, 1024].map((size) => [size, render(size, 'app')]));
const write = (name, data) => writeFileSync(path.join(HERE, name), data);

write('icon.png', app[512]); // Linux packages and the window icon
for (const size of [16, 32, 48, 64, 128, 256, 512]) write(`${size}x${size}.png`, app[size]);
write('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: app[size] }))));
write('icon.icns', encodeIcns([128, 256, 512, 1024].map((size) => ({ size, png: app[size] }))));
write('tray.png', render(32, 'tray')); // Linux and Windows tray (shown at 16-32 px)
write('trayTemplate.png', render(16, 'template')); // macOS menu bar, 1x
write('trayTemplate@2x.png', render(32, 'template')); // macOS menu bar, Retina
console.log(`icons written to ${HERE}`);
