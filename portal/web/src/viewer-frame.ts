// The DICOM viewer's frame (dist/viewer.html, built to dist/viewer.js).
// It runs sandboxed (an opaque origin, no network but its own scripts):
// the DICOM parser never shares a page with the keys. The portal posts it
// the decrypted file; it answers how many pixels it drew, or why it could
// not. cornerstone-core renders (window/level, scaling); dicom-parser
// reads the file; the loader below turns native (uncompressed) pixel data
// into a Cornerstone image. Compressed transfer syntaxes are refused with
// a message: download those and open them in a workstation.

declare const cornerstone: any;
declare const dicomParser: any;

const element = document.getElementById("image") as HTMLElement;
cornerstone.enable(element);

/** Native (uncompressed) transfer syntaxes. */
const NATIVE = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]);

const images = new Map<string, ArrayBuffer>();

function num(ds: any, tag: string, fallback: number): number {
  const s = ds.string(tag);
  if (s === undefined || s === "") return fallback;
  const v = parseFloat(s.split("\\")[0]);
  return Number.isFinite(v) ? v : fallback;
}

/** A Cornerstone image loader for "medchain:N" ids, from the bytes posted. */
function loadImage(imageId: string): { promise: Promise<any> } {
  const promise = (async () => {
    const buf = images.get(imageId);
    if (!buf) throw new Error("no such image");
    const bytes = new Uint8Array(buf);
    const ds = dicomParser.parseDicom(bytes);
    const syntax = (ds.string("x00020010") ?? "1.2.840.10008.1.2").replace(/\0/g, "").trim();
    if (!NATIVE.has(syntax)) {
      throw new Error(`its transfer syntax ${syntax} is compressed, which the in-page viewer does not decode: download it instead`);
    }
    const el = ds.elements.x7fe00010;
    if (!el) throw new Error("it has no pixel data");
    const rows = ds.uint16("x00280010");
    const columns = ds.uint16("x00280011");
    const samples = ds.uint16("x00280002") ?? 1;
    const bits = ds.uint16("x00280100") ?? 16;
    const signed = ds.uint16("x00280103") === 1;
    const photometric = (ds.string("x00280004") ?? "MONOCHROME2").trim();
    const frame = rows * columns * samples;
    const littleEndian = syntax !== "1.2.840.10008.1.2.2";
    let pixels: Int16Array | Uint16Array | Uint8Array;
    if (bits === 8) {
      pixels = new Uint8Array(bytes.buffer, bytes.byteOffset + el.dataOffset, frame);
    } else if (bits === 16) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + el.dataOffset, frame * 2);
      pixels = signed ? new Int16Array(frame) : new Uint16Array(frame);
      for (let i = 0; i < frame; i++) pixels[i] = signed ? view.getInt16(i * 2, littleEndian) : view.getUint16(i * 2, littleEndian);
    } else {
      throw new Error(`${bits}-bit pixels are not shown in the in-page viewer`);
    }
    const color = samples === 3;
    let rgba: Uint8ClampedArray | undefined;
    if (color) {
      rgba = new Uint8ClampedArray(rows * columns * 4);
      for (let i = 0, j = 0; i < frame; i += 3, j += 4) {
        rgba[j] = pixels[i];
        rgba[j + 1] = pixels[i + 1];
        rgba[j + 2] = pixels[i + 2];
        rgba[j + 3] = 255;
      }
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < pixels.length; i++) {
      if (pixels[i] < min) min = pixels[i];
      if (pixels[i] > max) max = pixels[i];
    }
    const slope = num(ds, "x00281053", 1);
    const intercept = num(ds, "x00281052", 0);
    const width = num(ds, "x00281051", (max - min) * slope || 1);
    const center = num(ds, "x00281050", (min + max) / 2 * slope + intercept);
    return {
      imageId,
      minPixelValue: min,
      maxPixelValue: max,
      slope,
      intercept,
      windowCenter: center,
      windowWidth: width,
      invert: photometric === "MONOCHROME1",
      rows,
      columns,
      height: rows,
      width: columns,
      color,
      rgba: color,
      columnPixelSpacing: 1,
      rowPixelSpacing: 1,
      sizeInBytes: pixels.byteLength,
      getPixelData: () => (color ? rgba : pixels),
    };
  })();
  return { promise };
}

cornerstone.registerImageLoader("medchain", loadImage);

/** Counts the pixels of the rendered canvas that are not black. */
function drawn(): number {
  let n = 0;
  for (const c of Array.from(element.querySelectorAll("canvas"))) {
    const ctx = (c as HTMLCanvasElement).getContext("2d");
    if (!ctx || !c.width || !c.height) continue;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) n++;
  }
  return n;
}

let next = 0;

window.addEventListener("message", async (ev: MessageEvent) => {
  // Only the portal page that framed the viewer may give it files: opened
  // on its own (top level) it answers nobody, and another window that got
  // hold of it (an opener, a sibling frame) is ignored.
  if (window.parent === window || ev.source !== window.parent) return;
  const m = ev.data as { type?: string; name?: string; bytes?: ArrayBuffer };
  if (m?.type !== "show" || !(m.bytes instanceof ArrayBuffer)) return;
  const reply = (msg: object) => (ev.source as Window | null)?.postMessage(msg, "*");
  const imageId = `medchain:${next++}`;
  images.set(imageId, m.bytes);
  try {
    const image = await cornerstone.loadImage(imageId);
    cornerstone.resize(element, true);
    // Cornerstone draws on the next animation frame and says so.
    const rendered = new Promise<void>((resolve) => {
      const done = () => {
        element.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, done);
        resolve();
      };
      element.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, done);
      setTimeout(done, 5000);
    });
    cornerstone.displayImage(element, image);
    await rendered;
    reply({ type: "shown", width: image.width, height: image.height, drawn: drawn() });
  } catch (e: any) {
    reply({ type: "error", message: e?.message ?? String(e) });
  } finally {
    images.delete(imageId);
  }
});
window.parent.postMessage({ type: "ready" }, "*");
