// A DICOM image in the page, with Cornerstone (cornerstone-core to render,
// dicom-parser and the WADO image loader to read every transfer syntax).
// The libraries run in a sandboxed frame (viewer.html): an opaque origin
// with no access to this page, its keys or the network. The page posts the
// decrypted file to it and learns only what it drew.

let frame: HTMLIFrameElement | undefined;
let ready: Promise<void> | undefined;

function ensureFrame(container: HTMLElement): Promise<void> {
  if (frame && ready) return ready;
  frame = document.createElement("iframe");
  frame.id = "viewer-frame";
  frame.title = "DICOM viewer";
  frame.setAttribute("sandbox", "allow-scripts");
  frame.src = "viewer.html";
  const f = frame;
  ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the viewer did not start")), 30_000);
    const onReady = (ev: MessageEvent) => {
      if (ev.source === f.contentWindow && ev.data?.type === "ready") {
        clearTimeout(timer);
        window.removeEventListener("message", onReady);
        resolve();
      }
    };
    window.addEventListener("message", onReady);
  });
  container.replaceChildren(frame);
  return ready;
}

/**
 * Shows a DICOM file (a blob, or bytes the frame is then given) in
 * container; resolves to what was drawn.
 */
export async function showDICOM(container: HTMLElement, file: Blob | ArrayBuffer, name: string): Promise<{ width: number; height: number; drawn: number }> {
  await ensureFrame(container);
  const f = frame!;
  // In view: Chromium does not render an off-screen cross-origin frame
  // (the sandboxed one is), so it would draw nothing until scrolled to.
  f.scrollIntoView({ block: "nearest" });
  const bytes = file instanceof ArrayBuffer ? file : await file.arrayBuffer();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      window.removeEventListener("message", onAnswer);
      reject(new Error(`the viewer did not answer for ${name}`));
    }, 60_000);
    const onAnswer = (ev: MessageEvent) => {
      if (ev.source !== f.contentWindow) return;
      const m = ev.data as { type?: string; message?: string; width: number; height: number; drawn: number };
      if (m?.type === "shown") {
        clearTimeout(timer);
        window.removeEventListener("message", onAnswer);
        resolve(m);
      } else if (m?.type === "error") {
        clearTimeout(timer);
        window.removeEventListener("message", onAnswer);
        reject(new Error(`the viewer cannot show ${name}: ${m.message}`));
      }
    };
    window.addEventListener("message", onAnswer);
    f.contentWindow!.postMessage({ type: "show", name, bytes }, "*", [bytes]);
  });
}
