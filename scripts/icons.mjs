// Renders every icon the app and its installers need from the one committed SVG, resources/icon.svg, into
// out/icons/ (never committed): the Windows .ico, Linux PNGs (also the source of macOS's .icns, which
// electron-builder makes), and the tray images for each state (accepting, live, paused, error), coloured for
// Windows and Linux and as black-and-alpha Template images for macOS. Run by scripts/build.mjs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

export const TRAY_STATES = ['accepting', 'live', 'paused', 'error'];
export const ICO_SIZES = [16, 20, 24, 32, 48, 256];
export const PNG_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];
/** Tray images: 16 px, and 32 px as `@2x` next to it (Electron picks it on high-DPI screens). */
const TRAY_SIZE = 16;

const BACKGROUND = /<rect data-part="background"[^>]*\/>/;
const BADGE = /<g data-state="([a-z]+)">[\s\S]*?<\/g>/g;
const BACKING = /<circle data-backing=""[^>]*\/>/g;
const COLOUR = /#[0-9a-fA-F]{6}\b/g;

/** The SVG for one use: the app icon (background, no badge), or a tray state (no background, its badge only). */
export function iconSvg(svg, { state, template = false } = {}) {
  let out = svg.replace(BADGE, (group, name) => (name === state ? group : ''));
  if (state !== undefined) out = out.replace(BACKGROUND, '');
  if (template) out = out.replace(BACKING, '').replace(COLOUR, '#000000');
  return out;
}

export function renderPng(svg, size) {
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng());
}

/**
 * An ICO file holding PNG images (allowed since Windows Vista): a 6-byte header, one 16-byte directory entry per
 * image (width and height 0 mean 256), then the images.
 */
export function icoFile(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length + images.length * 16;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map(({ png }) => png)]);
}

export async function buildIcons(svgPath = 'resources/icon.svg', outDir = 'out/icons') {
  const svg = await readFile(svgPath, 'utf8');
  await Promise.all(['png', 'tray'].map((dir) => mkdir(join(outDir, dir), { recursive: true })));
  const app = iconSvg(svg);
  const writes = [
    writeFile(join(outDir, 'icon.ico'), icoFile(ICO_SIZES.map((size) => ({ size, png: renderPng(app, size) })))),
    ...PNG_SIZES.map((size) => writeFile(join(outDir, 'png', `${size}x${size}.png`), renderPng(app, size))),
  ];
  for (const state of TRAY_STATES) {
    for (const [suffix, template] of [
      ['', false],
      ['Template', true],
    ]) {
      const tray = iconSvg(svg, { state, template });
      writes.push(writeFile(join(outDir, 'tray', `${state}${suffix}.png`), renderPng(tray, TRAY_SIZE)));
      writes.push(writeFile(join(outDir, 'tray', `${state}${suffix}@2x.png`), renderPng(tray, 2 * TRAY_SIZE)));
    }
  }
  await Promise.all(writes);
}
