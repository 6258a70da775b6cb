import QRCode from 'qrcode';

/** Light modules around the code, in modules (the QR standard asks for 4 so scanners find the edges). */
export const QR_QUIET_ZONE = 4;

/** A QR code as one SVG path: `size` modules per side including the quiet zone, `path` the dark modules. */
export interface QrShape {
  size: number;
  path: string;
}

/**
 * Encodes `text` with the `qrcode` package (error correction M: survives a projector's glare and a bit of
 * keystone) and draws its dark modules as one SVG path of unit squares, merged per row run so a 57×57 code is
 * a few hundred commands, not thousands of elements. Pure; rendered by React as `<path d>` (no innerHTML,
 * no data: URL, so nothing for the CSP to refuse).
 * @throws Error from `qrcode` when the text does not fit in a QR code (far beyond any URL we show)
 */
export function qrShape(text: string): QrShape {
  const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const { size, data } = code.modules;
  const commands: string[] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col++;
      commands.push(`M${start + QR_QUIET_ZONE} ${row + QR_QUIET_ZONE}h${col - start}v1h-${col - start}z`);
    }
  }
  return { size: size + 2 * QR_QUIET_ZONE, path: commands.join('') };
}
