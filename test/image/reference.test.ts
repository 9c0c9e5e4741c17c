import { describe, expect, it } from 'vitest';
import { parseReference, ImageReferenceError } from '../../src/image/reference/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['user/app', 'docker.io/user/app:latest'],
    ['index.docker.io/library/x:y', 'docker.io/library/x:y'],
    ['docker.io/x', 'docker.io/library/x:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c:t', 'localhost:5000/a/b/c:t'],
    ['127.0.0.1:5000/repo', '127.0.0.1:5000/repo:latest'],
    ['ghcr.io/o/r@' + D, 'ghcr.io/o/r@' + D],
    ['ghcr.io/o/r:t@' + D, 'ghcr.io/o/r:t@' + D],
    ['a.b/c__d/e-f_g.h:V1.0-rc_1', 'a.b/c__d/e-f_g.h:V1.0-rc_1'],
  ])('%s → %s', (input, want) => {
    expect(parseReference(input).toString()).toBe(want);
  });

  it('splits registry, repository, tag and digest', () => {
    const r = parseReference('host:5000/ns/app:v1');
    expect([r.registry, r.repository, r.tag, r.digest, r.object]).toEqual(['host:5000', 'ns/app', 'v1', undefined, 'v1']);
    expect(parseReference('x@' + D).object).toBe(D);
  });

  it.each([
    ['', 'REFERENCE_INVALID', /empty/],
    ['Nginx', 'REFERENCE_UPPERCASE', /lowercase/],
    ['host:5000/App', 'REFERENCE_UPPERCASE', /lowercase/],
    ['nginx:', 'REFERENCE_INVALID', /tag/],
    ['nginx:-x', 'REFERENCE_INVALID', /tag/],
    ['a//b', 'REFERENCE_INVALID', /name component/],
    ['a/-b', 'REFERENCE_INVALID', /name component/],
    ['x@sha256:abc', 'REFERENCE_INVALID', /64 lowercase hex/],
    ['x@md5:abc', 'REFERENCE_INVALID', /not supported/],
    ['h.io/' + 'a'.repeat(260), 'REFERENCE_TOO_LONG', /255/],
  ])('refuses %j', (input, code, msg) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageReferenceError);
    expect((err as ImageReferenceError).code).toBe(code);
    expect((err as Error).message).toMatch(msg);
  });
});
