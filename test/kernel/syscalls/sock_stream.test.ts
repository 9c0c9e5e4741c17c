/**
 * Socket files of published ports (kernel/fs/socket*.ts) through the
 * preview1 imports, on the platform of the vitest project (inline or
 * sentry), against a fake host network that records what the kernel asks.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { BACKLOG, RECV_LIMIT, RECV_WINDOW, SEND_WINDOW } from '../../../kernel/fs/socket_ns.js';
import { SpaceAccount } from '../../../kernel/fs/tmpfs_data.js';
import { FileType } from '../../../kernel/vfs/types.js';
import { installPorts } from '../../../src/runtime/ports.js';
import { FakeNet } from '../../support/fake_net.js';
import { makeEnv, type Env } from './harness.js';

const NONBLOCK = 4;
const L = 7; // host listener handle

function setup(opts: { fdLimit?: number } = {}) {
  const net = new FakeNet();
  const env = makeEnv({ fdLimit: opts.fdLimit, onStuck: () => net.pump(null) });
  const account = new SpaceAccount();
  const ns = installPorts(env.task, net, [{ id: L, hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], account);
  const lfd = 4; // stdio, "/" on 3, then the listener
  return { net, env, account, ns, lfd };
}

function accept(env: Env, fd: number, flags = 0): { errno: number; fd: number } {
  const errno = env.sys.sock_accept(fd, flags, 8);
  return { errno, fd: env.u32(8) };
}

function recv(env: Env, fd: number, max: number, riflags = 0): { errno: number; text: string } {
  env.iovs(16, [[4096, max]]);
  const errno = env.sys.sock_recv(fd, 16, 1, riflags, 8, 12);
  return { errno, text: errno === 0 ? env.get(4096, env.u32(8)) : '' };
}

function send(env: Env, fd: number, text: string | number): { errno: number; n: number } {
  const len = typeof text === 'string' ? env.put(4096, text) : text;
  env.iovs(16, [[4096, len]]);
  const errno = env.sys.sock_send(fd, 16, 1, 0, 8);
  return { errno, n: env.u32(8) };
}

describe('published-port sockets', () => {
  it('the listener is fd 4 after "/", with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_FDS_START; fdstat and filestat say SOCKET_STREAM', () => {
    const { env, lfd } = setup();
    expect(env.task.env).toEqual(['LISTEN_FDS=1', 'LISTEN_FDNAMES=80/tcp', 'LISTEN_FDS_START=4']);
    expect(env.sys.fd_fdstat_get(lfd, 100)).toBe(0);
    expect(env.u8()[100]).toBe(FileType.SOCKET_STREAM);
    expect(env.sys.fd_filestat_get(lfd, 200)).toBe(0);
    expect(env.u8()[216]).toBe(FileType.SOCKET_STREAM);
    expect(env.sys.fd_prestat_get(lfd, 100)).toBe(Errno.BADF); // not a preopened directory
    expect(env.sys.sock_shutdown(lfd, 3)).toBe(Errno.NOTCONN);
    expect(recv(env, lfd, 4).errno).toBe(Errno.NOTCONN);
  });

  it('sock_shutdown of a descriptor that is not open is EBADF, beside open sockets (wasi-testsuite c/sock_shutdown-invalid_fd)', () => {
    const { env, lfd } = setup();
    expect(env.sys.sock_shutdown(420, 1)).toBe(Errno.BADF);
    expect(env.sys.sock_shutdown(lfd + 1, 1)).toBe(Errno.BADF);
    expect(env.sys.sock_shutdown(420, 0)).toBe(Errno.BADF); // EBADF before the flags are looked at
    expect(env.sys.sock_shutdown(1, 1)).toBe(Errno.NOTSOCK);
  });

  it('accept: EAGAIN when non-blocking and empty, flags other than NONBLOCK EINVAL, then a connection; the backlog slot goes back', () => {
    const { env, net, lfd } = setup();
    expect(accept(env, lfd, 2).errno).toBe(Errno.INVAL);
    expect(env.sys.fd_fdstat_set_flags(lfd, NONBLOCK)).toBe(0);
    expect(accept(env, lfd).errno).toBe(Errno.AGAIN);
    const c = net.connect(L);
    const a = accept(env, lfd, NONBLOCK);
    expect(a).toEqual({ errno: 0, fd: 5 });
    expect(net.log.backlog.get(L)).toBe(1);
    expect(env.sys.fd_fdstat_get(5, 100)).toBe(0);
    expect(env.u8()[100]).toBe(FileType.SOCKET_STREAM);
    expect(env.dv().getUint16(102, true)).toBe(NONBLOCK);
    expect(recv(env, 5, 10).errno).toBe(Errno.AGAIN);
    net.data(c, 'GET / HTTP/1.1\r\n');
    expect(recv(env, 5, 3, 1 /* PEEK */).text).toBe('GET');
    expect(recv(env, 5, 3).text).toBe('GET');
    expect(recv(env, 5, 100, 2 /* WAITALL */).errno).toBe(Errno.AGAIN); // 13 of 100 bytes, no EOF
    net.end(c);
    expect(recv(env, 5, 100, 2).text).toBe(' / HTTP/1.1\r\n');
    expect(recv(env, 5, 100)).toEqual({ errno: 0, text: '' }); // EOF
  });

  it('a blocking accept and recv wait for the host (inline: pumped; sentry: parked)', () => {
    const { env, net, lfd } = setup();
    let c = 0;
    net.onIdle = () => { c = net.connect(L); net.data(c, 'hi'); };
    expect(accept(env, lfd)).toEqual({ errno: 0, fd: 5 });
    expect(recv(env, 5, 10).text).toBe('hi');
    net.onIdle = () => net.data(c, 'there');
    expect(recv(env, 5, 10).text).toBe('there');
    expect(net.pumps).toBeGreaterThan(0);
  });

  it('send goes to the host; a full send window blocks (EAGAIN), acknowledged bytes open it again', () => {
    const { env, net, lfd } = setup();
    const c = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    expect(send(env, 5, 'HTTP/1.1 200 OK\r\n')).toEqual({ errno: 0, n: 17 });
    expect(net.log.sent.get(c)).toBe('HTTP/1.1 200 OK\r\n');
    const big = 60000;
    let total = 17;
    for (;;) {
      const r = send(env, 5, big);
      if (r.errno === Errno.AGAIN) break;
      expect(r.errno).toBe(0);
      total += r.n;
    }
    expect(total).toBe(SEND_WINDOW);
    net.sent(c, 1000);
    expect(send(env, 5, big)).toEqual({ errno: 0, n: 1000 });
  });

  it('buffered and in-flight bytes are charged to the memory account, and released when read, acknowledged or closed', () => {
    const { env, net, lfd, account } = setup();
    const c = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    net.data(c, 'x'.repeat(1000));
    expect(recv(env, 5, 10).text).toBe('xxxxxxxxxx');
    expect(account.used).toBe(990);
    send(env, 5, 'y'.repeat(500));
    expect(account.used).toBe(1490);
    net.sent(c, 500);
    expect(recv(env, 5, 0).errno).toBe(0);
    expect(account.used).toBe(990);
    expect(env.sys.fd_close(5)).toBe(0);
    expect(account.used).toBe(0);
    expect(net.log.closed.has(c)).toBe(true);
  });

  it('read bytes go back to the host as credit in batches', () => {
    const { env, net, lfd } = setup();
    const c = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    net.data(c, 'z'.repeat(RECV_WINDOW));
    for (let i = 0; i < 8; i++) expect(recv(env, 5, 4000).text.length).toBe(4000);
    expect(net.log.credit.get(c)).toBe(16000 + 4000); // one batch of at least 16 KiB
  });

  it('shutdown RD, WR and both; EINVAL for no flags; EPIPE after WR and after the peer is gone', () => {
    const { env, net, lfd } = setup();
    const c = net.connect(L);
    const d = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(6);
    expect(env.sys.sock_shutdown(5, 0)).toBe(Errno.INVAL);
    expect(env.sys.sock_shutdown(5, 4)).toBe(Errno.INVAL);
    net.data(c, 'dropped');
    expect(env.sys.sock_shutdown(5, 1)).toBe(0);
    expect(recv(env, 5, 10)).toEqual({ errno: 0, text: '' });
    expect(net.log.credit.get(c)).toBe(7); // discarded bytes give their credit back
    expect(send(env, 5, 'still').errno).toBe(0);
    expect(env.sys.sock_shutdown(5, 2)).toBe(0);
    expect(net.log.shutdown.has(c)).toBe(true);
    expect(send(env, 5, 'no').errno).toBe(Errno.PIPE);
    expect(env.sys.sock_shutdown(6, 3)).toBe(0);
    expect(net.log.shutdown.has(d)).toBe(true);
    const e = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(7);
    net.closed(e);
    expect(send(env, 7, 'gone').errno).toBe(Errno.PIPE);
    expect(recv(env, 7, 4)).toEqual({ errno: 0, text: '' });
  });

  it('poll_oneoff: FD_READ on data and on the listener, FD_WRITE, HANGUP once the peer shut its side', () => {
    const { env, net, lfd } = setup();
    const sub = (at: number, ud: bigint, type: number, fd: number) => {
      const dv = env.dv();
      for (let i = 0; i < 48; i++) dv.setUint8(at + i, 0);
      dv.setBigUint64(at, ud, true);
      dv.setUint8(at + 8, type);
      dv.setUint32(at + 16, fd, true);
    };
    const c = net.connect(L);
    sub(1000, 1n, 1, lfd);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(env.dv().getBigUint64(2000, true)).toBe(1n);
    expect(accept(env, lfd).fd).toBe(5);
    net.data(c, 'abc');
    sub(1000, 2n, 1, 5);
    sub(1048, 3n, 2, 5);
    expect(env.sys.poll_oneoff(1000, 2000, 2, 8)).toBe(0);
    expect(env.u32(8)).toBe(2);
    expect(env.dv().getBigUint64(2016, true)).toBe(3n); // nbytes of the read event
    expect(recv(env, 5, 3).text).toBe('abc');
    net.end(c);
    sub(1000, 4n, 1, 5);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(env.dv().getUint16(2024, true) & 1).toBe(1); // FD_READWRITE_HANGUP
  });

  it('RLIMIT_NOFILE counts accepted connections: EMFILE leaves the connection pending until an fd is free', () => {
    const { env, net, lfd } = setup({ fdLimit: 6 });
    net.connect(L);
    net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    expect(accept(env, lfd, NONBLOCK).errno).toBe(Errno.MFILE);
    expect(env.sys.fd_close(5)).toBe(0);
    expect(accept(env, lfd, NONBLOCK)).toEqual({ errno: 0, fd: 5 });
  });

  it('closing the listener releases the host port and drops pending connections', () => {
    const { env, net, lfd } = setup();
    const c = net.connect(L);
    expect(env.sys.poll_oneoff !== undefined).toBe(true);
    net.pump(0n);
    expect(env.sys.fd_close(lfd)).toBe(0);
    expect(net.log.closedListeners.has(L)).toBe(true);
    expect(net.log.closed.has(c)).toBe(true);
  });

  it('a host that sends past the window gets the connection reset, not buffered: the memory charged stays under RECV_LIMIT', () => {
    const { env, net, lfd, account } = setup();
    const c = net.connect(L);
    expect(accept(env, lfd, NONBLOCK).fd).toBe(5);
    net.data(c, new Uint8Array(RECV_WINDOW)); // the window, then a host chunk past it: still held
    net.data(c, new Uint8Array(RECV_LIMIT - RECV_WINDOW));
    expect(recv(env, 5, 0).errno).toBe(0);
    expect(account.used).toBe(RECV_LIMIT);
    net.data(c, new Uint8Array(1)); // one byte more: the host ignored the window
    expect(recv(env, 5, 10)).toEqual({ errno: 0, text: '' }); // dropped, EOF
    expect(account.used).toBe(0);
    expect(net.log.closed.has(c)).toBe(true);
    expect(send(env, 5, 'late').errno).toBe(Errno.PIPE);
  });

  it('a host that ignores the backlog gets connections past BACKLOG refused by the kernel', () => {
    const { env, net } = setup();
    const conns = Array.from({ length: BACKLOG + 5 }, () => net.connect(L));
    net.pump(0n);
    expect(env.sys.fd_fdstat_get(4, 100)).toBe(0);
    for (const c of conns.slice(0, BACKLOG)) expect(net.log.closed.has(c)).toBe(false);
    for (const c of conns.slice(BACKLOG)) expect(net.log.closed.has(c)).toBe(true);
    expect(net.log.backlog.get(L)).toBe(5); // their slots go back to the host
  });
});
