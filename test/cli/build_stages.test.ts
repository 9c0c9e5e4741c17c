/**
 * Multi-stage `wasmvisor build` as buildah's, run as processes: stage one
 * RUNs a Wasm program that writes files, the last stage (FROM scratch)
 * copies them with COPY --from (by name and by index) and runs; unused
 * stages are skipped; a COPY --from is cached by the content it copies;
 * --target picks a stage; --chown (ids and names from the stage's
 * /etc/passwd and /etc/group) and --chmod show in the layer tar; bad stage
 * references and bad --chown are one line, exit 125.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';

const TOP = join(import.meta.dirname, '../..');

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let store: string;
let ctx: string;
const { wv, ok } = storeCli(() => store);

const TWO_STAGES = `FROM scratch AS builder
COPY fsedit.wasm /bin/fsedit.wasm
COPY msg.txt /in/msg.txt
RUN ["/bin/fsedit.wasm", "mkdir:/out/sub", "write:/out/sub/b.txt:made by RUN", "cat:/in/msg.txt"]
RUN ["/bin/fsedit.wasm", "write:/out/done.txt:ok"]

FROM scratch AS unused
COPY no-such-file /x

FROM scratch
COPY --from=builder /in/msg.txt /out/sub/b.txt /srv/
COPY --from=0 /bin/fsedit.wasm /app.wasm
ENTRYPOINT ["/app.wasm"]
`;

/** Build `text` (as file `name` in the context) with `args`. */
function build(name: string, text: string, ...args: string[]) {
  writeFileSync(join(ctx, name), text);
  return wv(['build', '-f', join(ctx, name), ...args, ctx]);
}

/** `tar tv` lines of the image's layer `n` (numeric owners), from the store's blob. */
function layerListing(image: string, n: number): string[] {
  const manifest = JSON.parse(ok(['inspect', '--raw', image]));
  const blob = join(store, 'content/blobs/sha256', manifest.layers[n].digest.slice(7));
  const r = spawnSync('tar', ['tvzf', blob, '--numeric-owner'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
}

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-build-stages-'));
  ctx = mkdtempSync(join(tmpdir(), 'wv-build-stages-ctx-'));
  copyFileSync(join(TOP, 'wasm/fsedit.wasm'), join(ctx, 'fsedit.wasm'));
  writeFileSync(join(ctx, 'msg.txt'), 'one\n');
  writeFileSync(join(ctx, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002:app:/home/app:/bin/sh\n');
  writeFileSync(join(ctx, 'group'), 'root:x:0:\nstaff:x:50:\n');
});

afterAll(() => {
  rmSync(store, { recursive: true, force: true });
  rmSync(ctx, { recursive: true, force: true });
});

describe('multi-stage build', () => {
  it('the last stage copies what stage one RUN made and runs; unused stages are skipped; COPY --from is cached by content', () => {
    const one = build('Containerfile', TWO_STAGES, '-t', 'localhost/stages:1');
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('[1/3] STEP 4/5: RUN');
    expect(one.stdout).toContain('[3/3] STEP 2/4: COPY --from=builder');
    expect(one.stdout).not.toContain('[2/3]'); // not needed by the last stage: not built (its COPY would fail)
    const id = one.stdout.trim().split('\n').pop()!;
    expect(ok(['run', '--rm', 'localhost/stages:1', 'cat:/srv/msg.txt', 'cat:/srv/b.txt'])).toBe('one\nmade by RUN');
    // only the last stage's layers are in the image
    expect(JSON.parse(ok(['inspect', '--raw', 'localhost/stages:1'])).layers).toHaveLength(2);
    expect(layerListing('localhost/stages:1', 0)).toEqual([
      'drwxr-xr-x 0/0 0 1970-01-01 00:00 srv/', '-rw-r--r-- 0/0 4 1970-01-01 00:00 srv/msg.txt', '-rw-r--r-- 0/0 11 1970-01-01 00:00 srv/b.txt',
    ].map((l) => l.replace(/\s+/g, ' ')));

    const again = build('Containerfile', TWO_STAGES, '-t', 'localhost/stages:2');
    expect(again.stdout.trim().split('\n').pop()).toBe(id);
    expect(again.stdout.match(/--> Using cache/g)).toHaveLength(6);

    // stage one's input changes; the last stage's COPY --from reads the same but copies other bytes: not served stale
    writeFileSync(join(ctx, 'msg.txt'), 'two\n');
    const changed = build('Containerfile', TWO_STAGES, '-t', 'localhost/stages:3');
    expect(changed.code).toBe(0);
    expect(changed.stdout.trim().split('\n').pop()).not.toBe(id);
    expect(ok(['run', '--rm', 'localhost/stages:3', 'cat:/srv/msg.txt'])).toBe('two\n');
    writeFileSync(join(ctx, 'msg.txt'), 'one\n');
  });

  it('--target builds up to that stage and makes it the image; FROM an earlier stage continues it', () => {
    const r = build('Containerfile', TWO_STAGES, '--target', 'builder', '-t', 'localhost/stages:builder');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('[3/3]');
    expect(JSON.parse(ok(['inspect', '--raw', 'localhost/stages:builder'])).layers).toHaveLength(4);
    expect(ok(['run', '--rm', 'localhost/stages:builder', '/bin/fsedit.wasm', 'cat:/out/done.txt'])).toBe('ok');

    // FROM a stage, a glob, and --from an image of the store
    const cont = build('Cont', `FROM scratch AS base\nCOPY fsedit.wasm /bin/f.wasm\nFROM base\nCOPY --from=base /bin/*.wasm /copy/\nCOPY --from=localhost/stages:builder /out/done.txt /from-image.txt\nENTRYPOINT ["/copy/f.wasm"]\n`, '-t', 'localhost/stages:cont');
    expect(cont.stderr).toBe('');
    expect(cont.code).toBe(0);
    expect(ok(['run', '--rm', 'localhost/stages:cont', 'cat:/bin/f.wasm']).startsWith('\0asm')).toBe(true);
    expect(ok(['run', '--rm', 'localhost/stages:cont', 'cat:/from-image.txt'])).toBe('ok');

    const bad = build('Containerfile', TWO_STAGES, '--target', 'nope');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toBe('wasmvisor: --target nope: no stage of that name (stages: builder, unused)\n');
  });

  it('--chown (ids, and names from the stage\'s /etc/passwd and /etc/group) and --chmod show in the layer tar', () => {
    const r = build('Own', `FROM scratch AS builder
COPY fsedit.wasm /bin/fsedit.wasm
RUN ["/bin/fsedit.wasm", "mkdir:/out", "write:/out/a.txt:A"]
FROM scratch
COPY passwd group /etc/
COPY --chown=app:staff --chmod=600 msg.txt /home/app/msg.txt
ADD --chown=app msg.txt /home/app/added.txt
COPY --from=builder --chown=7:8 /out /data
`, '-t', 'localhost/owned:1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const img = 'localhost/owned:1';
    expect(layerListing(img, 1)).toEqual(['drwxr-xr-x 0/0 0 1970-01-01 00:00 home/', 'drwxr-xr-x 0/0 0 1970-01-01 00:00 home/app/', '-rw------- 1001/50 4 1970-01-01 00:00 home/app/msg.txt']);
    expect(layerListing(img, 2)).toContain('-rw-r--r-- 1001/1002 4 1970-01-01 00:00 home/app/added.txt');
    expect(layerListing(img, 3)).toEqual(['drwxr-xr-x 7/8 0 1970-01-01 00:00 data/', '-rw-r--r-- 7/8 1 1970-01-01 00:00 data/a.txt']);
  });

  it('bad stage references, --chown and --chmod are one line, exit 125, and name no image', () => {
    const cases: [string, string][] = [
      ['FROM scratch\nCOPY --from=nosuch /x /x\n', '--from=nosuch: no stage of that name (none is named) and no image nosuch in the store'],
      ['FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /x /x\n', 'COPY --from=b /x /x: stage b comes after this one (line 3): name an earlier stage'],
      ['FROM scratch AS a\nCOPY --from=a /x /x\n', 'a is this stage itself'],
      ['FROM scratch AS a\nCOPY --from=5 /x /x\n', 'there is no stage 5'],
      ['FROM scratch AS a\nCOPY fsedit.wasm /f\nFROM scratch\nCOPY --from=a /nope /y\n', '/nope: no such file or directory in stage a'],
      ['FROM scratch AS a\nFROM scratch AS A\n', 'a stage named a exists already'],
      ['FROM scratch\nCOPY --chown=nobody fsedit.wasm /x\n', '--chown=nobody: unable to find user nobody'],
      ['FROM scratch\nCOPY passwd /etc/passwd\nCOPY --chown=app:wheel fsedit.wasm /x\n', 'unable to find group wheel'],
      ['FROM scratch\nCOPY --chown=a:b:c fsedit.wasm /x\n', '--chown=a:b:c: give --chown=USER[:GROUP]'],
      ['FROM scratch\nCOPY --chmod=u+x fsedit.wasm /x\n', '--chmod=u+x: give --chmod=OCTAL'],
      ['FROM scratch\nADD --from=a fsedit.wasm /x\n', 'ADD has no --from'],
      ['FROM scratch\nCOPY --link fsedit.wasm /x\n', '--link is not supported'],
    ];
    for (const [text, msg] of cases) {
      const r = build('Bad', text, '-t', 'localhost/bad:1');
      expect(r.code, text).toBe(125);
      expect(r.stderr, text).toContain(msg);
      expect(r.stderr.trim().split('\n'), text).toHaveLength(1);
    }
    expect(ok(['images', '--format', '{{.Repository}}'])).not.toContain('localhost/bad');
    expect(ok(['build', '--help'])).toContain('--target <stage>');
    expect(ok(['build', '--help'])).toContain('COPY --from=STAGE|INDEX|IMAGE');
  });
});
