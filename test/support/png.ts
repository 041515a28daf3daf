import { crc32, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bytes per pixel of 8-bit colour types: greyscale, RGB, grey+alpha, RGBA (palettes are not expected here). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  /** Unfiltered pixel bytes, row after row. */
  pixels: Buffer;
  chunks: string[];
}

/**
 * A strict PNG decoder for tests (PNG spec, ISO 15948): signature, every chunk's CRC, IHDR first and IEND
 * last, the zlib stream, each scanline's filter undone. Throws on anything a viewer would refuse.
 */
export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (data.length !== length) throw new Error(`chunk ${type} is cut short`);
    if (crc32(png.subarray(at + 4, at + 8 + length)) !== png.readUInt32BE(at + 8 + length))
      throw new Error(`chunk ${type} has a bad CRC`);
    chunks.push({ type, data });
    at += 12 + length;
  }
  if (chunks[0]?.type !== 'IHDR' || chunks.at(-1)?.type !== 'IEND')
    throw new Error('IHDR must come first and IEND last');
  const ihdr = chunks[0].data;
  const [width, height, bitDepth, colourType, , , interlace] = [
    ihdr.readUInt32BE(0),
    ihdr.readUInt32BE(4),
    ihdr[8]!,
    ihdr[9]!,
    ihdr[10],
    ihdr[11],
    ihdr[12],
  ];
  const channels = CHANNELS[colourType];
  if (bitDepth !== 8 || !channels || interlace !== 0)
    throw new Error(`unexpected format: depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1))
    throw new Error(`image data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  return { width, height, channels, pixels: unfilter(raw, width, height, channels), chunks: chunks.map((c) => c.type) };
}

function unfilter(raw: Buffer, width: number, height: number, bpp: number): Buffer {
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new Error(`row ${y} has filter type ${filter}`);
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const left = x >= bpp ? out[y * stride + x - bpp]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const upLeft = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp]! : 0;
      out[y * stride + x] = (value + predict(filter, left, up, upLeft)) & 0xff;
    }
  }
  return out;
}

function predict(filter: number, a: number, b: number, c: number): number {
  if (filter === 1) return a;
  if (filter === 2) return b;
  if (filter === 3) return (a + b) >> 1;
  if (filter === 4) {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  }
  return 0;
}

/** Distinct RGB colours in the image (alpha ignored), e.g. to see that the lines were drawn. */
export function colours(image: DecodedPng): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < image.pixels.length; i += image.channels)
    seen.add(image.pixels.subarray(i, i + Math.min(3, image.channels)).toString('hex'));
  return seen;
}
