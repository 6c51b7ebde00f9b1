// Small DOM helpers shared by the portal's views.

export type Child = Node | string | null | undefined | false;
export type Attrs = { [k: string]: string | number | boolean | undefined | ((e: Event) => void) };

/** Creates an element with attributes (on* become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

/** Shows a message; errors are never a blank screen. */
export function say(text: string, kind: "info" | "error" | "ok" = "info"): void {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + kind;
  m.hidden = false;
}

/** A button that runs action, disabled while it runs; failures are said. */
export function action(id: string, label: string, run: () => Promise<void>, cls = ""): HTMLButtonElement {
  const b = h("button", { id: id || undefined, type: "button", class: cls || undefined }, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await run();
    } catch (e) {
      fail(e);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

let explainer: (e: unknown) => string = (e) => (e instanceof Error ? e.message : String(e));

export function setExplainer(f: (e: unknown) => string): void {
  explainer = f;
}

export function fail(e: unknown): void {
  say(explainer(e), "error");
  console.error(e);
}

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

export function progressBar(id: string, total: number): { el: HTMLProgressElement; set(n: number, t?: number): void } {
  const bar = h("progress", { id, max: Math.max(total, 1), value: 0 });
  return {
    el: bar,
    set(n: number, t?: number) {
      if (t) bar.max = t;
      bar.value = n;
    },
  };
}

export function card(id: string, title: string | Node, ...children: Child[]): HTMLElement {
  return h("section", { class: "card", id }, h("h2", {}, title), ...children);
}

export function field(label: string, input: HTMLElement): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

export function select(id: string, options: string[], value?: string): HTMLSelectElement {
  const s = h("select", { id }, ...options.map((o) => h("option", { value: o }, o)));
  if (value) s.value = value;
  return s;
}

export function time(ts?: { seconds: bigint } | undefined): string {
  if (!ts) return "";
  return new Date(Number(ts.seconds) * 1000).toISOString().replace("T", " ").slice(0, 16);
}
