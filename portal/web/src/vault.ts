// The vault side of the portal: status, uploads and verified downloads.
// Payloads are encrypted and decrypted in the WebAssembly client; the
// vault only ever sees ciphertext, in CARs whose every block the page
// checks against its CID.

import * as wasm from "./wasm";

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
  upload(car: Blob, ticket: string, progress: (sent: number, total: number) => void): Promise<string> {
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
          resolve((JSON.parse(xhr.responseText) as { cid: string }).cid);
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

/** Encrypts file under recordKey into a CAR, reporting bytes read. */
export async function encryptFile(
  file: Blob,
  recordKey: Uint8Array,
  progress: (done: number, total: number) => void,
): Promise<{ car: Blob; cid: string; encryptedSize: number }> {
  const slice = 1 << 20;
  let offset = 0;
  const parts: Blob[] = [];
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
    // Each part becomes a Blob at once, so the page holds about one chunk.
    write: (chunk) => parts.push(new Blob([chunk as BlobPart])),
  });
  return { car: new Blob(parts, { type: "application/vnd.ipld.car" }), cid: res.cid, encryptedSize: res.encryptedSize };
}

/** Verifies and decrypts a CAR stream into a Blob of the plaintext. */
export async function decryptStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  cid: string,
  encryptedSize: number,
  recordKey: Uint8Array,
  progress: (done: number) => void,
): Promise<Blob> {
  const parts: Blob[] = [];
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
      parts.push(new Blob([chunk as BlobPart]));
      done += chunk.length;
      progress(done);
    },
  });
  return new Blob(parts);
}
