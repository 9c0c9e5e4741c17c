/**
 * Go-template `--format` for images, ps and inspect (issue 15): the
 * template subset itself, then each command run as a process against a
 * temp store holding the bundled sample image and one kept container.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignTabs, compileFormat } from '../../src/cli/go_template.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const HELLO = join(TOP, 'wasm/hello.wasm');
const IMG = 'localhost/wasmvisor/hello:latest';
let store: string;

function wv(...args: string[]) {
  const r = spawnSync(BIN, ['--root', store, ...args], { encoding: 'utf8', input: '', cwd: TOP, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const render = (f: string, dot: unknown) => compileFormat(f).render(dot);

describe('the template subset', () => {
  const dot = { A: { B: ['x', 'y'], M: { k: 'v', 'a.b': 1 } }, S: 'Hi', E: [], N: null, T: true };
  it('fields, nested fields, . and Go printing of lists, maps and nil', () => {
    expect(render('{{.S}}', dot)).toBe('Hi\n');
    expect(render('{{.A.B}} {{.A.M}} {{.E}} {{.N}}', dot)).toBe('[x y] map[a.b:1 k:v] [] <nil>\n');
    expect(render('{{.}}', 'plain')).toBe('plain\n');
  });
  it('json, index, join, upper, lower, len, printf, pipes', () => {
    expect(render('{{json .A.B}}', dot)).toBe('["x","y"]\n');
    expect(render('{{index .A.M "a.b"}}|{{index .A.B 1}}', dot)).toBe('1|y\n');
    expect(render('{{join .A.B ","}}', dot)).toBe('x,y\n');
    expect(render('{{upper .S}} {{.S | lower}} {{len .A.B}}', dot)).toBe('HI hi 2\n');
    expect(render('{{printf "%s=%d%%" .S 3}}', dot)).toBe('Hi=3%\n');
  });
  it('range, if/else, with, trimming, escapes', () => {
    expect(render('{{range .A.B}}<{{.}}>{{end}}', dot)).toBe('<x><y>\n');
    expect(render('{{range .E}}x{{else}}none{{end}}', dot)).toBe('none\n');
    expect(render('{{if .T}}yes{{else}}no{{end}} {{if .E}}yes{{else}}no{{end}}', dot)).toBe('yes no\n');
    expect(render('{{with .A}}{{.B}}{{end}}', dot)).toBe('[x y]\n');
    expect(render('{{if eq .S "Hi"}}eq{{end}} {{if ne .S "Hi"}}ne{{else}}same{{end}} {{not .T}}', dot)).toBe('eq same false\n');
    expect(render('a {{- .S -}} b', dot)).toBe('aHib\n');
    expect(render('{{.S}}\\t{{.S}}\\n', dot)).toBe('Hi\tHi\n');
    expect(render('json', dot)).toBe(`${JSON.stringify(dot)}\n`);
  });
  it('errors: an unknown field, an unknown function, an unclosed block', () => {
    expect(() => render('{{.Nope}}', dot)).toThrow(/can't evaluate field Nope/);
    expect(() => render('{{.A.Zip}}', dot)).toThrow(/can't evaluate field Zip in \.A/);
    expect(() => render('{{frob .S}}', dot)).toThrow(/function "frob" not defined/);
    expect(() => render('{{if .T}}x', dot)).toThrow(/no \{\{end\}\}/);
  });
  it('tabs align as podman\'s tabwriter', () => {
    expect(alignTabs('ID\tNAMES\nabc\tweb\n')).toBe(`${'ID'.padEnd(12)}NAMES\n${'abc'.padEnd(12)}web\n`);
  });
});

describe('--format on the command line', () => {
  beforeAll(() => {
    if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
    store = mkdtempSync(join(tmpdir(), 'wv-fmt-'));
    expect(wv('load', '-i', join(TOP, 'src/image/samples/hello')).code).toBe(0);
  });

  it('images --format with fields, table and json (podman\'s keys)', () => {
    const r = wv('images', '--format', '{{.Repository}}:{{.Tag}}', IMG);
    expect(r.err).toBe('');
    expect(r.out).toBe(`${IMG}\n`);
    expect(r.code).toBe(0);
    const t = wv('images', '--format', 'table {{.ID}}\\t{{.Repository}}', IMG);
    expect(t.out).toMatch(/^IMAGE ID {2,}REPOSITORY\n[0-9a-f]{12} {2,}localhost\/wasmvisor\/hello\n$/);
    const j = JSON.parse(wv('images', '--format', 'json', IMG).out) as Record<string, unknown>[];
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ RepoTags: [IMG], RepoDigests: [expect.stringMatching(/^localhost\/wasmvisor\/hello@sha256:/)] });
    expect(j[0]!.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(j[0]!)).toEqual(expect.arrayContaining(['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Size', 'VirtualSize', 'Labels', 'Names', 'Digest', 'Created', 'CreatedAt']));
  });

  it('inspect --format and -f over the inspect document', () => {
    const r = wv('inspect', '--format', '{{.Os}}/{{.Architecture}} {{json .RepoTags}}', IMG);
    expect(r.err).toBe('');
    expect(r.out).toBe(`wasip1/wasm ["${IMG}"]\n`);
    const ep = wv('inspect', '-f', '{{.Config.Entrypoint}}', IMG);
    expect(ep.code).toBe(0);
    expect(ep.out).toMatch(/^\[.*\]\n$/);
    expect(ep.out).not.toContain('{');
    const layers = wv('inspect', '-f', '{{range .LayersData}}{{.MIMEType}} {{end}}', IMG);
    expect(layers.err).toBe('');
    expect(layers.out).toMatch(/^(application\/\S+ )+\n$/);
  });

  it('an unknown field is one line naming it, exit 125', () => {
    for (const args of [['inspect', '-f', '{{.Nope}}', IMG], ['images', '--format', '{{.Nope}}'], ['ps', '-a', '--format', '{{.Nope}}']]) {
      const r = wv(...args);
      expect(r.code, args.join(' ')).toBe(125);
      expect(r.err).toMatch(/^wasmvisor: template: can't evaluate field Nope: no such field \(in --format "\{\{\.Nope\}\}"\)\n$/);
      expect(r.out).toBe('');
    }
  });

  it('ps --format over a kept container, with table headers', () => {
    const id = wv('run', '-d', '--name', 'fmt1', HELLO);
    expect(id.code, id.err).toBe(0);
    expect(wv('wait', 'fmt1').code).toBe(0);
    const r = wv('ps', '-a', '--format', '{{.Names}} {{.State}} {{.Image}}');
    expect(r.err).toBe('');
    expect(r.out).toBe(`fmt1 exited ${HELLO}\n`);
    const t = wv('ps', '-a', '--format', 'table {{.ID}}\\t{{.Names}}');
    expect(t.out).toMatch(/^CONTAINER ID {2}NAMES\n[0-9a-f]{12} {2}fmt1\n$/);
    expect(wv('rm', 'fmt1').code).toBe(0);
  });
});
