// The vault side of the portal: status, uploads and verified downloads.
// Payloads are encrypted and decrypted in the WebAssembly client; the
// vault only ever sees ciphertext, in CARs whose every block the page
// checks against its CID.

import { fromBase64 } from "@cosmjs/encoding";

import { UploadReceipt } from "./gen/medchain/records/v1/types";
import * as wasm from "./wasm";

/**
 * A vault's answer to an upload: the root it stored and the hospital's
 * receipt, which the message registering the root must carry.
 */
export interface Stored {
  cid: string;
  receipt?: UploadReceipt;
}

export interface VaultStatus {
  vault_id?: string;
  max_upload_bytes?: number;
}

/** The vault the portal was served from. */
export class Vault {
  private id?: string;
  constructor(readonly base: string) {}

  async status(): Promise<VaultStatus> {
    let res: Response;
    try {
      res = await fetch(this.base + "api/v1/status", { cache: "no-store" });
    } catch (e) {
      throw new Error(`the vault at ${this.base} is unreachable: ${String(e)}`);
    }
    if (!res.ok) throw new Error(`the vault at ${this.base} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as VaultStatus;
  }

  async vaultId(): Promise<string> {
    if (this.id === undefined) this.id = (await this.status()).vault_id ?? "";
    return this.id;
  }

  /**
   * Uploads a CAR (a Blob, which the browser keeps on disk when large) with
   * an upload ticket and reports the bytes sent.
   */
  upload(car: Blob, ticket: string, progress: (sent: number, total: number) => void): Promise<Stored> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.base + "api/v1/upload?root=last");
      xhr.setRequestHeader("Content-Type", "application/vnd.ipld.car");
      xhr.setRequestHeader("X-Medchain-Ticket", ticket);
      xhr.upload.onprogress = (ev) => progress(ev.loaded, ev.total || car.size);
      xhr.onerror = () => reject(new Error(`the vault at ${this.base} is unreachable`));
      xhr.onload = () => {
        if (xhr.status !== 201) {
          reject(new Error(`the vault refused the upload (${xhr.status}): ${xhr.responseText.trim()}`));
          return;
        }
        try {
          const a = JSON.parse(xhr.responseText) as { cid: string; receipt?: { hospital: string; pub_key: string; signature: string } };
          resolve({
            cid: a.cid,
            receipt: a.receipt && {
              hospital: a.receipt.hospital,
              pubKey: fromBase64(a.receipt.pub_key),
              signature: fromBase64(a.receipt.signature),
            },
          });
        } catch (e) {
          reject(new Error(`the vault's answer is not JSON: ${String(e)}`));
        }
      };
      xhr.send(car);
    });
  }

  /** Opens the depth-first CAR of cid, with a read ticket. */
  async fetchCAR(cid: string, ticket: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}ipfs/${cid}?format=car`, {
        headers: { Accept: "application/vnd.ipld.car; version=1; order=dfs; dups=n", "X-Medchain-Ticket": ticket },
        cache: "no-store",
      });
    } catch (e) {
      throw new Error(`the vault at ${this.base} is unreachable: ${String(e)}`);
    }
    if (!res.ok) {
      const why = (await res.text()).trim();
      if (res.status === 403) throw new Error(`the vault refused: no access (${why})`);
      if (res.status === 404) throw new Error(`the vault does not hold ${cid} (${why})`);
      throw new Error(`the vault answered ${res.status}: ${why}`);
    }
    if (!res.body) throw new Error("the vault's answer has no body");
    return res.body.getReader();
  }
}

/**
 * BlobParts gathers a stream of chunks into a Blob, 8 MiB at a time: the
 * page holds at most one such buffer, and the browser's blob store (which
 * spills to disk) the rest, in few enough items for it to send at once.
 */
export class BlobParts {
  private static readonly size = 8 << 20;
  private parts: Blob[] = [];
  private buf = new Uint8Array(BlobParts.size);
  private used = 0;

  add(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.buf.length - this.used);
      this.buf.set(chunk.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === this.buf.length) this.flush();
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    this.parts.push(new Blob([this.buf.slice(0, this.used)]));
    this.used = 0;
  }

  blob(type = ""): Blob {
    this.flush();
    return new Blob(this.parts, { type });
  }
}

/** Where a stream of chunks goes: a temporary file, or blob parts. */
export interface Sink {
  add(chunk: Uint8Array): void | Promise<void>;
  /** The whole stream, as a Blob (a File on disk, for a temporary file). */
  finish(type?: string): Promise<Blob>;
  /** Deletes the temporary file, if any. */
  discard(): Promise<void>;
}

const tempPrefix = "medchain-tmp-";

/**
 * A sink for a large stream. Where the browser gives the page a private
 * file system (a secure context: https, or http on localhost), the stream
 * goes to a temporary file there, so neither the page nor the browser's
 * memory-bound blob store holds it (Chromium refuses blobs beyond a few
 * hundred MiB without one). Elsewhere it goes to blob parts.
 */
export async function newSink(): Promise<Sink> {
  const storage = navigator.storage as StorageManager & { getDirectory?: () => Promise<FileSystemDirectoryHandle> };
  if (storage?.getDirectory) {
    try {
      const dir = await storage.getDirectory();
      const name = tempPrefix + crypto.randomUUID();
      const handle = await dir.getFileHandle(name, { create: true });
      const out = await handle.createWritable();
      return {
        add: (chunk) => out.write(chunk as BufferSource),
        finish: async () => {
          await out.close();
          return handle.getFile();
        },
        discard: async () => {
          await dir.removeEntry(name).catch(() => undefined);
        },
      };
    } catch {
      // no private file system here: blob parts
    }
  }
  const parts = new BlobParts();
  return { add: (chunk) => parts.add(chunk), finish: async (type) => parts.blob(type), discard: async () => undefined };
}

/** Deletes temporary files a closed page left behind. */
export async function discardLeftovers(): Promise<void> {
  const storage = navigator.storage as StorageManager & { getDirectory?: () => Promise<FileSystemDirectoryHandle> };
  if (!storage?.getDirectory) return;
  try {
    const dir = (await storage.getDirectory()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
    for await (const name of dir.keys()) if (name.startsWith(tempPrefix)) await dir.removeEntry(name).catch(() => undefined);
  } catch {
    // nothing to clean
  }
}

/** Encrypts file under recordKey into a CAR, reporting bytes read. */
export async function encryptFile(
  file: Blob,
  recordKey: Uint8Array,
  progress: (done: number, total: number) => void,
): Promise<{ car: Blob; cid: string; encryptedSize: number; sink: Sink }> {
  const slice = 1 << 20;
  let offset = 0;
  const sink = await newSink();
  const res = await wasm.encrypt({
    size: file.size,
    recordKey,
    read: async () => {
      if (offset >= file.size) return null;
      const end = Math.min(offset + slice, file.size);
      const chunk = new Uint8Array(await file.slice(offset, end).arrayBuffer());
      offset = end;
      progress(offset, file.size);
      return chunk;
    },
    write: (chunk) => sink.add(chunk),
  });
  return { car: await sink.finish("application/vnd.ipld.car"), cid: res.cid, encryptedSize: res.encryptedSize, sink };
}

/** Verifies and decrypts a CAR stream into a Blob of the plaintext. */
export async function decryptStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  cid: string,
  encryptedSize: number,
  recordKey: Uint8Array,
  progress: (done: number) => void,
  sink: Sink,
): Promise<Blob> {
  let done = 0;
  await wasm.decrypt({
    cid,
    encryptedSize,
    recordKey,
    read: async () => {
      const r = await reader.read();
      return r.done ? null : r.value;
    },
    write: (chunk) => {
      done += chunk.length;
      progress(done);
      return sink.add(chunk);
    },
  });
  return sink.finish();
}
