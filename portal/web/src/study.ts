// A DICOM study container (Go: medclient/study), read in the page without
// the DOM: the plaintext of a DICOM record a hospital's bridge stores, a
// ustar tar whose first member is index.json and whose other members are
// the study's instances, in the index's order, named
// "<SeriesInstanceUID>/<SOPInstanceUID>.dcm".
//
// The container is never trusted: readStudy checks the index (format,
// member names, sizes, hashes well formed) and walks every member header
// against it, reading only the 512-byte headers (a study of a few hundred
// MiB is not read into memory); instanceBytes reads one instance and
// checks its SHA-256 against the index before the viewer is given it.

/** The index's format name (sniff.StudyContainerFormat in Go). */
export const FORMAT = "medchain-dicom-study/1";

const BLOCK = 512;

/** One instance of a study: its index entry and where its bytes are. */
export interface StudyInstance {
  seriesInstanceUID: string;
  sopInstanceUID: string;
  seriesNumber: number;
  instanceNumber: number;
  modality: string;
  seriesDescription: string;
  size: number;
  sha256: string;
  name: string;
  /** The offset of the member's bytes in the container. */
  offset: number;
}

/** A series: its instances' positions in StudyLayout.instances. */
export interface StudySeries {
  seriesInstanceUID: string;
  seriesNumber: number;
  modality: string;
  description: string;
  instances: number[];
}

export interface StudyLayout {
  studyInstanceUID: string;
  instances: StudyInstance[];
  series: StudySeries[];
}

const dec = new TextDecoder();

async function bytesAt(blob: Blob, offset: number, n: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(offset, offset + n).arrayBuffer());
}

/** A NUL-terminated header field. */
function str(h: Uint8Array, from: number, len: number): string {
  const f = h.subarray(from, from + len);
  const end = f.indexOf(0);
  return dec.decode(end < 0 ? f : f.subarray(0, end));
}

/** An octal header number (ustar). */
function octal(h: Uint8Array, from: number, len: number): number {
  const s = str(h, from, len).trim();
  if (!/^[0-7]+$/.test(s)) return -1;
  return parseInt(s, 8);
}

/** A ustar header of a regular file with a valid checksum: its name and size. */
function header(h: Uint8Array): { name: string; size: number } | undefined {
  if (h.length < BLOCK || str(h, 257, 6) !== "ustar" || (h[156] !== 0x30 && h[156] !== 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  if (octal(h, 148, 8) !== sum) return undefined;
  const size = octal(h, 124, 12);
  if (size < 0) return undefined;
  const prefix = str(h, 345, 155);
  const name = str(h, 0, 100);
  return { name: prefix ? prefix + "/" + name : name, size };
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** Whether the plaintext starts a study container (as sniff.StudyContainer does). */
export async function isStudy(blob: Blob): Promise<boolean> {
  const head = await bytesAt(blob, 0, BLOCK + 64);
  const h = header(head.subarray(0, BLOCK));
  return !!h && h.name === "index.json" && dec.decode(head.subarray(BLOCK)).startsWith(`{"format":"${FORMAT}"`);
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const HASH = /^[0-9a-f]{64}$/;

/**
 * Reads and checks a container's index and the header of every member,
 * and returns where each instance is, grouped by series in container
 * order. Anything that does not match the index is an error.
 */
export async function readStudy(blob: Blob): Promise<StudyLayout> {
  const first = header(await bytesAt(blob, 0, BLOCK));
  if (!first || first.name !== "index.json") throw new Error("not a study container: its first member is not index.json");
  if (first.size > 64 << 20) throw new Error(`the study's index is ${first.size} bytes, too large`);
  let index: { format?: unknown; studyInstanceUID?: unknown; instances?: unknown };
  try {
    index = JSON.parse(dec.decode(await bytesAt(blob, BLOCK, first.size)));
  } catch (e) {
    throw new Error(`the study's index is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (index.format !== FORMAT) throw new Error(`the study's index has format ${String(index.format)}, not ${FORMAT}`);
  const study = String(index.studyInstanceUID ?? "");
  if (!UID.test(study)) throw new Error(`the study's index has StudyInstanceUID ${JSON.stringify(study)}`);
  if (!Array.isArray(index.instances) || index.instances.length === 0) throw new Error("the study's index lists no instance");
  const instances: StudyInstance[] = [];
  const seen = new Set<string>();
  let offset = BLOCK + padded(first.size);
  for (const raw of index.instances as { [k: string]: unknown }[]) {
    const e: StudyInstance = {
      seriesInstanceUID: String(raw.seriesInstanceUID ?? ""),
      sopInstanceUID: String(raw.sopInstanceUID ?? ""),
      seriesNumber: Number(raw.seriesNumber ?? 0),
      instanceNumber: Number(raw.instanceNumber ?? 0),
      modality: String(raw.modality ?? ""),
      seriesDescription: String(raw.seriesDescription ?? ""),
      size: Number(raw.size),
      sha256: String(raw.sha256 ?? ""),
      name: String(raw.name ?? ""),
      offset: 0,
    };
    const what = `instance ${JSON.stringify(e.sopInstanceUID)}`;
    if (!UID.test(e.seriesInstanceUID) || !UID.test(e.sopInstanceUID)) throw new Error(`the study's index: ${what} has a malformed UID`);
    if (raw.studyInstanceUID !== study) throw new Error(`the study's index: ${what} belongs to another study`);
    if (e.name !== `${e.seriesInstanceUID}/${e.sopInstanceUID}.dcm`) throw new Error(`the study's index: ${what} has member name ${JSON.stringify(e.name)}`);
    if (!Number.isSafeInteger(e.size) || e.size < 0 || !HASH.test(e.sha256)) throw new Error(`the study's index: ${what} has a bad size or SHA-256`);
    if (seen.has(e.sopInstanceUID)) throw new Error(`the study's index lists ${what} twice`);
    seen.add(e.sopInstanceUID);
    const h = header(await bytesAt(blob, offset, BLOCK));
    if (!h) throw new Error(`the study container is damaged before ${what}: no valid member header at byte ${offset}`);
    if (h.name !== e.name) throw new Error(`the study container has member ${JSON.stringify(h.name)} where the index has ${what}`);
    if (h.size !== e.size) throw new Error(`the study container's ${what} has ${h.size} bytes, the index says ${e.size}`);
    e.offset = offset + BLOCK;
    if (e.offset + e.size > blob.size) throw new Error(`the study container ends inside ${what}`);
    instances.push(e);
    offset = e.offset + padded(e.size);
  }
  // Only the end-of-archive blocks may follow the last instance.
  const tail = await bytesAt(blob, offset, BLOCK);
  if (tail.some((b) => b !== 0)) throw new Error("the study container has a member that is not in its index");
  const series: StudySeries[] = [];
  instances.forEach((e, i) => {
    let s = series[series.length - 1];
    if (!s || s.seriesInstanceUID !== e.seriesInstanceUID) {
      if (series.some((x) => x.seriesInstanceUID === e.seriesInstanceUID)) throw new Error(`the study's index: series ${e.seriesInstanceUID} is not contiguous`);
      s = { seriesInstanceUID: e.seriesInstanceUID, seriesNumber: e.seriesNumber, modality: e.modality, description: e.seriesDescription, instances: [] };
      series.push(s);
    }
    s.instances.push(i);
  });
  return { studyInstanceUID: study, instances, series };
}

function hex(b: ArrayBuffer): string {
  return Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** One instance's bytes, once their SHA-256 is the index's. */
export async function instanceBytes(blob: Blob, e: StudyInstance): Promise<ArrayBuffer> {
  const bytes = await blob.slice(e.offset, e.offset + e.size).arrayBuffer();
  if (bytes.byteLength !== e.size) throw new Error(`instance ${e.sopInstanceUID}: ${bytes.byteLength} bytes, the index says ${e.size}`);
  const sum = hex(await crypto.subtle.digest("SHA-256", bytes));
  if (sum !== e.sha256) {
    throw new Error(`instance ${e.sopInstanceUID} does not match the study's index (SHA-256 ${sum}, the index says ${e.sha256}): it is not shown`);
  }
  return bytes;
}
