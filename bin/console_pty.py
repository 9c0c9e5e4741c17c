"""wasmvisor's terminal for runc's --console-socket (`ctr run -t`, `kubectl exec -it`).

    python3 console_pty.py SOCKET PROGRAM [ARG...]

Opens a pseudo-terminal, sends its master over the unix socket SOCKET with
SCM_RIGHTS (as runc does: the payload is the terminal's name), makes the
slave this process's controlling terminal and its fds 0-2, and execs
PROGRAM (a wasmvisor sandbox process or exec relay: same pid, so the
pid file and containerd's shim see it). Node cannot pass fds over a unix
socket; Python's standard library can (socket.send_fds, Python 3.9+).

The process is started as a wasmvisor helper: fd 3 is its report pipe
(src/runtime/detached/spawn.ts). A failure before the exec is reported
there as one JSON line, {"ok": false, "error": "..."}; after the exec the
program reports on the same fd.
"""
import fcntl
import json
import os
import socket
import sys
import termios


def fail(msg):
    try:
        os.write(3, (json.dumps({"ok": False, "error": msg}) + "\n").encode())
    except OSError:
        sys.stderr.write("wasmvisor: " + msg + "\n")
    sys.exit(1)


def main():
    if len(sys.argv) < 3:
        fail("console_pty.py: usage: console_pty.py SOCKET PROGRAM [ARG...]")
    path, argv = sys.argv[1], sys.argv[2:]
    if not hasattr(socket, "send_fds"):
        fail("--console-socket needs Python 3.9 or later (socket.send_fds); this is " + sys.version.split()[0])
    try:
        master, slave = os.openpty()
    except OSError as e:
        fail("cannot open a pseudo-terminal for --console-socket: " + e.strerror)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        socket.send_fds(s, [os.ttyname(slave).encode()], [master])
        s.close()
    except OSError as e:
        fail("cannot send the terminal over --console-socket " + path + ": " + (e.strerror or str(e)))
    os.close(master)
    try:
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)  # a session leader (spawned detached): its controlling terminal
    except OSError:
        pass  # not a session leader: the terminal is still its stdio
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    try:
        os.execv(argv[0], argv)
    except OSError as e:
        fail("cannot run " + argv[0] + ": " + e.strerror)


main()
