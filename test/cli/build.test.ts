/**
 * `wasmvisor build` (issue 15 point 5) and `import`, run as processes: a
 * multi-step Containerfile with RUN steps built twice gives the same
 * digest and the second build is served from the cache; the image holds
 * what COPY, ADD (a tgz unpacked), RUN and the config steps made; bad
 * Containerfiles are one line, exit 125; a failing RUN gives its status.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
let store: string;
let ctx: string;

function wv(...args: string[]) {
  const r = spawnSync(BIN, ['--root', store, ...args], { encoding: 'utf8', input: '', cwd: ctx, timeout: 120_000, env: { ...process.env, SOURCE_DATE_EPOCH: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const CONTAINERFILE = `# a multi-step build
ARG GREETING=hi
FROM scratch
COPY fsedit.wasm /bin/fsedit.wasm
ENV PATH=/bin \\
    MSG=$GREETING
WORKDIR /app
ADD arch.tgz /srv/
COPY data/ ./data/
RUN ["fsedit.wasm", "mkdir:/out", "write:/out/msg.txt:built"]
RUN fsedit.wasm "write:/app/x.txt:two words"
LABEL org.example.k="v 1"
EXPOSE 8080
USER 1000:1000
ENTRYPOINT ["/bin/fsedit.wasm"]
CMD ["cat:/out/msg.txt"]
`;

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-build-'));
  ctx = mkdtempSync(join(tmpdir(), 'wv-buildctx-'));
  copyFileSync(join(TOP, 'wasm/fsedit.wasm'), join(ctx, 'fsedit.wasm'));
  mkdirSync(join(ctx, 'data'));
  writeFileSync(join(ctx, 'data/a.txt'), 'a file\n');
  expect(spawnSync('tar', ['czf', 'arch.tgz', 'data'], { cwd: ctx }).status).toBe(0);
  writeFileSync(join(ctx, 'Containerfile'), CONTAINERFILE);
});

describe('build', () => {
  it('builds twice to the same digest, the second time from the cache; the image has every step', () => {
    const one = wv('build', '-t', 'localhost/built:1', '--build-arg', 'GREETING=hello', '.');
    expect(one.err).toBe('');
    expect(one.code).toBe(0);
    expect(one.out).toContain('STEP 7/13: RUN ["fsedit.wasm", "mkdir:/out", "write:/out/msg.txt:built"]');
    expect(one.out).not.toContain('Using cache');
    const id = one.out.trim().split('\n').pop()!;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const two = wv('build', '-t', 'localhost/built:2', '--build-arg', 'GREETING=hello', '.');
    expect(two.code).toBe(0);
    expect(two.out.trim().split('\n').pop()).toBe(id);
    expect(two.out.match(/--> Using cache [0-9a-f]{64}/g)).toHaveLength(5); // COPY, ADD, COPY and the two RUNs
    // another build arg: the RUN steps after ENV see another environment, so another image
    const three = wv('build', '-q', '--build-arg', 'GREETING=other', '.');
    expect(three.code).toBe(0);
    expect(three.out.trim()).not.toBe(id);
    expect(three.out.trim()).toMatch(/^[0-9a-f]{64}$/);
    const cfg = JSON.parse(wv('inspect', '-f', '{{json .Config}}', 'localhost/built:1').out);
    expect(cfg).toMatchObject({
      Env: ['PATH=/bin', 'MSG=hello'], WorkingDir: '/app', Labels: { 'org.example.k': 'v 1' }, ExposedPorts: { '8080/tcp': {} },
      User: '1000:1000', Entrypoint: ['/bin/fsedit.wasm'], Cmd: ['cat:/out/msg.txt'],
    });
    const hist = wv('history', '--format', '{{.CreatedBy}}', 'localhost/built:1').out.trim().split('\n');
    expect(hist).toHaveLength(12);
    expect(hist[hist.length - 1]).toBe('COPY fsedit.wasm /bin/fsedit.wasm');
    expect(wv('inspect', '-f', '{{.Created}}', 'localhost/built:1').out).toBe('1970-01-01T00:00:00.000Z\n');
  });
  it('the built image runs and holds what COPY, ADD and RUN made', () => {
    expect(wv('build', '-q', '-t', 'localhost/built:1', '.').code).toBe(0);
    const r = wv('run', 'localhost/built:1', 'cat:/out/msg.txt', 'cat:/app/x.txt', 'cat:/srv/data/a.txt', 'cat:/app/data/a.txt', 'cat:/bin/fsedit.wasm');
    expect(r.err).toBe('');
    expect(r.out.startsWith('builttwo wordsa file\na file\n\0asm')).toBe(true);
  });
  it('-f, bad instructions and options are one line, exit 125; a failing RUN exits with its status; no image is named', () => {
    const cases: [string, string][] = [
      ['FROM scratch\nFROB x\n', 'FROB is not supported'],
      ['COPY a /a\nFROM scratch\n', 'only ARG may come before FROM'],
      ['FROM scratch\nCOPY nope /x\n', 'nope: no such file'],
      ['FROM scratch\nCOPY ../ /x\n', 'outside the build context'],
      ['FROM scratch\nCOPY --chown=1 --link fsedit.wasm /x\n', '--link is not supported'],
      ['FROM scratch\nCMD ["a",\n', 'not a JSON array'],
      ['FROM scratch\nRUN /nope.wasm\n', 'nope.wasm'],
      ['FROM nosuch.invalid/x\n', 'nosuch.invalid'],
    ];
    for (const [text, msg] of cases) {
      writeFileSync(join(ctx, 'Bad'), text);
      const r = wv('build', '-f', 'Bad', '-t', 'localhost/bad:1', '.');
      expect(r.code, text).toBe(text.includes('nope.wasm') ? 127 : 125);
      expect(r.err, text).toContain(msg);
      expect(r.err.trim().split('\n'), text).toHaveLength(1);
    }
    writeFileSync(join(ctx, 'Fail'), 'FROM scratch\nCOPY fsedit.wasm /f.wasm\nRUN ["/f.wasm", "cat:/missing"]\n');
    const fail = wv('build', '-f', 'Fail', '-t', 'localhost/bad:1', '.');
    expect(fail.code).toBe(1);
    expect(fail.err).toContain('exited with status 1');
    expect(wv('images', '--format', '{{.Repository}}').out).not.toContain('localhost/bad');
    expect(wv('build', '--platform', 'linux/amd64', '.').code).toBe(125);
    expect(wv('build', '/nonexistent').code).toBe(125);
    expect(wv('image', 'build', '--help').out).toContain('--build-arg');
  });
});

describe('import', () => {
  it('a tarball becomes a one-layer image with --change applied; bad input is one line, 125', () => {
    const tgz = join(ctx, 'arch.tgz');
    const id = wv('import', '--change', 'ENTRYPOINT ["/bin/x.wasm"]', '-c', 'ENV A=1', '-c', 'WORKDIR /data', '-m', 'from test', tgz, 'localhost/imported:1').out.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const doc = JSON.parse(wv('inspect', 'localhost/imported:1').out)[0];
    expect(doc.Config).toMatchObject({ Entrypoint: ['/bin/x.wasm'], Env: ['A=1'], WorkingDir: '/data' });
    expect(wv('history', '--format', '{{.Comment}}', 'localhost/imported:1').out).toBe('from test\n');
    const manifest = JSON.parse(wv('inspect', '--raw', 'localhost/imported:1').out);
    expect(manifest.layers).toHaveLength(1);
    const blob = gunzipSync(spawnSync('cat', [join(store, 'content/blobs/sha256', manifest.layers[0].digest.slice(7))], { encoding: 'buffer' }).stdout);
    expect(blob.subarray(0, 1 << 16).toString('latin1')).toContain('data/a.txt');
    const anon = wv('import', tgz);
    expect(anon.code).toBe(0);
    expect(wv('images', '--format', '{{.Repository}}').out).toContain('localhost/import');
    writeFileSync(join(ctx, 'not.tar'), 'hello');
    for (const [args, msg] of [[['/nonexistent.tar'], 'no such file'], [[join(ctx, 'not.tar')], 'not a tar archive'], [['-c', 'FROB x', tgz], 'FROB is not supported']] as const) {
      const r = wv('import', ...args);
      expect(r.code).toBe(125);
      expect(r.err).toContain(msg);
    }
  });
});
