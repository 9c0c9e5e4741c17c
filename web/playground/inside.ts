/**
 * "See inside" the running container, page side: the image's layers and
 * config, the filesystem tree (each entry's layer, and the upper's changes
 * as `diff` reports them: A, C, D), live cgroup charts (memory.current
 * against memory.max, pids), the bounded, filterable syscall trace, exec of
 * a second process, and files in (drag and drop) and out (a file, or the
 * upper as a tar). The Sentry side of these calls is inspect.ts.
 */
import type { Container } from '../../src/runtime/container.js';
import { moduleFor, type LoadedImage } from './images.js';
import type { PlaygroundApi } from './sentry_worker.js';
import type { TraceEntry } from './inspect.js';

/** The container the page shows, with what it was made from. */
export interface Session {
  container: Container;
  image: LoadedImage;
  api: PlaygroundApi;
  module: Uint8Array;
}

/** The cpu figures of `stats()`, where the kernel has a cpu controller. */
interface CpuStat { usageUsec: number; nrPeriods: number; nrThrottled: number; quota: number | null; period: number }

/** Rows kept in the trace table (the Sentry keeps its own bounded ring). */
const TRACE_ROWS = 500;
/** Points kept per chart. */
const POINTS = 120;
/** Files dropped before a run wait for it; this many bytes at most. */
const QUEUE_LIMIT = 32 * 1024 * 1024;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n < 10 * 1048576 ? 2 : 1)} MiB`;
}

function download(name: string, data: Uint8Array, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function chart(canvas: HTMLCanvasElement, values: number[], max: number | null, color: string): void {
  const g = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  g.clearRect(0, 0, w, h);
  const top = Math.max(max ?? 0, ...values, 1) * 1.1;
  if (max !== null) {
    const y = h - (max / top) * h;
    g.strokeStyle = '#ff6b6b';
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(0, y);
    g.lineTo(w, y);
    g.stroke();
    g.setLineDash([]);
  }
  g.strokeStyle = color;
  g.lineWidth = 2;
  g.beginPath();
  values.forEach((v, i) => {
    const x = (i / (POINTS - 1)) * w;
    const y = h - (v / top) * h;
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

function cell(tr: HTMLTableRowElement, text: string, cls = ''): void {
  const td = tr.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

/** The panels; `current` gives the container shown now. */
export class Inside {
  private timer: ReturnType<typeof setInterval> | null = null;
  private mem: number[] = [];
  private pids: number[] = [];
  private cpu: number[] = [];
  private lastCpu: { usec: number; at: number } | null = null;
  private traceLast = 0;
  private rows: TraceEntry[] = [];
  private queued: { path: string; data: Uint8Array }[] = [];
  private note: (s: string) => void = () => {};

  constructor(private readonly current: () => Session | null) {}

  /** Files dropped while no container ran: they are seeded into the next one. */
  takeQueued(): { path: string; data: Uint8Array }[] {
    const q = this.queued;
    this.queued = [];
    $('queued').textContent = '';
    return q;
  }

  /** Hook the controls up; `load` loads an image by name, `note` shows a line, `onExec` gets the exec output so far. */
  wire(_load: (name: string) => Promise<LoadedImage>, note: (s: string) => void, onExec: (text: string) => void): void {
    this.note = note;
    for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
      b.addEventListener('click', () => {
        for (const x of document.querySelectorAll('.tabs button, .tab')) x.classList.remove('on');
        b.classList.add('on');
        $(`tab-${b.dataset.tab}`).classList.add('on');
        if (b.dataset.tab === 'fs') void this.refreshTree();
      });
    }
    $('trace-filter').addEventListener('input', () => this.renderTrace());
    $('trace-on').addEventListener('change', () => {
      const s = this.current();
      if (s) void s.api.setSyscalls(s.container.id, ($('trace-on') as HTMLInputElement).checked);
    });
    $('tree-refresh').addEventListener('click', () => void this.refreshTree());
    $('exec-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.exec(onExec);
    });
    $('download').addEventListener('click', () => void this.downloadFile());
    $('uppertar').addEventListener('click', () => void this.downloadUpper());
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      void this.dropFiles([...(e.dataTransfer?.files ?? [])]);
    });
  }

  /** A container started: show its image and start polling. */
  started(s: Session): void {
    this.mem = [];
    this.pids = [];
    this.cpu = [];
    this.lastCpu = null;
    this.traceLast = 0;
    this.rows = [];
    this.renderTrace();
    this.showImage(s.image);
    ($('trace-on') as HTMLInputElement).checked = true;
    $('tree').querySelector('tbody')!.replaceChildren();
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.poll(s), 250);
  }

  /** The container's init ended: one last poll, then the tree. */
  stopped(s: Session): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.poll(s).then(() => this.refreshTree());
  }

  private async poll(s: Session): Promise<void> {
    if (this.current() !== s) return;
    const id = s.container.id;
    try {
      const st = await s.container.stats();
      this.mem.push(st.memoryCurrent);
      this.pids.push(st.pidsCurrent);
      if (this.mem.length > POINTS) this.mem.shift();
      if (this.pids.length > POINTS) this.pids.shift();
      chart($('mem-chart') as HTMLCanvasElement, this.mem, st.memoryMax, '#5ec4ff');
      chart($('pids-chart') as HTMLCanvasElement, this.pids, st.pidsMax, '#7bd88f');
      $('mem-now').textContent = `${mib(st.memoryCurrent)} / ${st.memoryMax === null ? 'max' : mib(st.memoryMax)} (peak ${mib(st.memoryPeak)})`;
      $('pids-now').textContent = `${st.pidsCurrent} / ${st.pidsMax ?? 'max'}`;
      // cpu.stat, where the kernel has a cpu controller (absent otherwise)
      const cpu = (st as { cpu?: CpuStat }).cpu;
      if (cpu) {
        const now = performance.now();
        if (this.lastCpu) this.cpu.push(Math.max(0, (cpu.usageUsec - this.lastCpu.usec) / 10 / (now - this.lastCpu.at)));
        this.lastCpu = { usec: cpu.usageUsec, at: now };
        if (this.cpu.length > POINTS) this.cpu.shift();
        const cap = cpu.quota === null ? null : (100 * cpu.quota) / cpu.period;
        chart($('cpu-chart') as HTMLCanvasElement, this.cpu, cap, '#ffcc66');
        $('cpu-now').textContent = `${(this.cpu[this.cpu.length - 1] ?? 0).toFixed(0)}% · cpu.max ${cpu.quota === null ? 'max' : `${cpu.quota} ${cpu.period}`} · throttled ${cpu.nrThrottled}/${cpu.nrPeriods} periods`;
      } else $('cpu-now').textContent = 'no cpu controller in this build';
      const ev = st.memoryEvents;
      $('cg-more').textContent = `memory.events: max ${ev.max}, oom ${ev.oom}, oom_kill ${ev.oom_kill} · system calls served: ${st.syscalls}`;
      const t = await s.api.syscalls(id, this.traceLast);
      if (t.entries.length > 0) {
        this.traceLast = t.last;
        this.rows.push(...t.entries);
        if (this.rows.length > TRACE_ROWS) this.rows.splice(0, this.rows.length - TRACE_ROWS);
        this.renderTrace();
      }
    } catch { /* the container went away between two polls */ }
  }

  private renderTrace(): void {
    const f = ($('trace-filter') as HTMLInputElement).value.trim().toLowerCase();
    const body = ($('trace') as HTMLTableElement).tBodies[0]!;
    const shown = f ? this.rows.filter((r) => `${r.call} ${r.args} ${r.errno}`.toLowerCase().includes(f)) : this.rows;
    const frag = document.createDocumentFragment();
    for (const r of shown.slice(-TRACE_ROWS).reverse()) {
      const tr = document.createElement('tr');
      if (r.errno !== 'SUCCESS') tr.className = 'err';
      cell(tr as HTMLTableRowElement, String(r.pid));
      cell(tr as HTMLTableRowElement, String(r.at));
      cell(tr as HTMLTableRowElement, r.call);
      cell(tr as HTMLTableRowElement, r.args);
      cell(tr as HTMLTableRowElement, r.errno === 'SUCCESS' ? r.result || '0' : r.errno);
      cell(tr as HTMLTableRowElement, String(r.us));
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    $('trace-count').textContent = `${shown.length} of ${this.rows.length} shown`;
  }

  private showImage(img: LoadedImage): void {
    const body = ($('layers') as HTMLTableElement).tBodies[0]!;
    body.replaceChildren();
    img.layers.forEach((l, i) => {
      const tr = body.insertRow();
      cell(tr, `L${i}`);
      cell(tr, l.digest.slice(0, 19));
      cell(tr, l.mediaType.replace('application/vnd.oci.image.', ''));
      cell(tr, `${l.size} B`);
    });
    $('config').textContent = JSON.stringify({ name: img.name, manifest: img.manifestDigest, config: img.config.config, os: img.config.os, architecture: img.config.architecture, history: img.config.history }, null, 1);
  }

  /** The filesystem tree with each entry's origin, and the upper's changes. */
  async refreshTree(): Promise<void> {
    const s = this.current();
    if (!s) return;
    try {
      const [tree, diff] = await Promise.all([s.api.tree(s.container.id), s.container.diff()]);
      const kinds = new Map(diff.map((d) => [d.path, d.kind]));
      const body = ($('tree') as HTMLTableElement).tBodies[0]!;
      const rows = [...tree.entries.map((e) => ({ ...e, diff: kinds.get(e.path) ?? '' })),
        ...diff.filter((d) => d.kind === 'D').map((d) => ({ path: d.path, kind: 'file', size: 0, from: 'upper' as const, diff: 'D' }))];
      rows.sort((a, b) => (a.path < b.path ? -1 : 1));
      const frag = document.createDocumentFragment();
      for (const r of rows) {
        const tr = document.createElement('tr') as HTMLTableRowElement;
        if (r.diff === 'D') tr.className = 'deleted';
        cell(tr, r.kind === 'dir' ? `${r.path}/` : r.kind === 'symlink' ? `${r.path} @` : r.path);
        cell(tr, r.kind === 'dir' ? '' : String(r.size));
        cell(tr, r.from === 'upper' ? 'upper' : `L${r.from}`);
        cell(tr, r.diff, r.diff);
        frag.appendChild(tr);
      }
      if (tree.more > 0) {
        const tr = document.createElement('tr') as HTMLTableRowElement;
        cell(tr, `… ${tree.more} more entries not listed`);
        frag.appendChild(tr);
      }
      body.replaceChildren(frag);
    } catch (e) {
      this.note(`filesystem: ${(e as Error).message}`);
    }
  }

  private async exec(onExec: (text: string) => void): Promise<void> {
    const s = this.current();
    if (!s) return;
    const argv = (($('exec-args') as HTMLInputElement).value.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
    if (argv.length === 0) return;
    const out = $('exec-out');
    let text = '';
    const show = (t: string) => {
      text += t;
      out.textContent = text;
      onExec(text);
    };
    try {
      const proc = moduleFor(s.image, argv);
      const p = await s.container.exec({ module: proc.bytes, process: { args: proc.argv, env: proc.env, cwd: proc.workdir } });
      show(`$ ${argv.join(' ')}   (pid ${p.pid})\n`);
      const dec = new TextDecoder();
      show(dec.decode(p.stdout.bytes()) + dec.decode(p.stderr.bytes()));
      p.stdout.on((c) => show(dec.decode(c)));
      p.stderr.on((c) => show(dec.decode(c)));
      const r = await p.wait();
      show(`[pid ${p.pid} ${r.signal ? `killed by ${r.signal}` : `exited with status ${r.exitCode}`}]\n`);
    } catch (e) {
      show(`exec ${argv[0]}: ${(e as Error).message}\n`);
    }
  }

  private async dropFiles(files: File[]): Promise<void> {
    let dir = ($('dropdir') as HTMLInputElement).value.trim() || '/tmp/';
    if (!dir.startsWith('/')) dir = `/${dir}`;
    if (!dir.endsWith('/')) dir += '/';
    const s = this.current();
    const live = s && (s.container.status.state === 'running' || s.container.status.state === 'paused');
    let queuedBytes = this.queued.reduce((n, f) => n + f.data.byteLength, 0);
    for (const f of files) {
      const data = new Uint8Array(await f.arrayBuffer());
      const path = `${dir}${f.name.replace(/\//g, '_')}`;
      if (live) {
        try {
          await s.api.writeFile(s.container.id, path, data);
          this.note(`wrote ${path} (${data.byteLength} bytes) into the container`);
        } catch (e) {
          this.note(`cannot write ${path}: ${(e as Error).message}`);
        }
      } else if (queuedBytes + data.byteLength <= QUEUE_LIMIT) {
        this.queued.push({ path, data });
        queuedBytes += data.byteLength;
        $('queued').textContent = ` · queued for the next run: ${this.queued.map((q) => q.path).join(', ')}`;
      } else this.note(`${f.name}: over the ${QUEUE_LIMIT >> 20} MiB the page keeps for the next run`);
    }
    if (live) void this.refreshTree();
  }

  private async downloadFile(): Promise<void> {
    const s = this.current();
    if (!s) return;
    const path = ($('getpath') as HTMLInputElement).value.trim();
    try {
      const data = await s.api.readFile(s.container.id, path);
      download(path.split('/').pop() || 'file', data);
    } catch (e) {
      this.note(`cannot download ${path}: ${(e as Error).message}`);
    }
  }

  private async downloadUpper(): Promise<void> {
    const s = this.current();
    if (!s) return;
    try {
      download(`${s.container.id}-upper.tar`, await s.api.upperTar(s.container.id), 'application/x-tar');
    } catch (e) {
      this.note(`cannot make the upper's tar: ${(e as Error).message}`);
    }
  }
}
