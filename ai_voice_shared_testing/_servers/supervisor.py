"""Run a server so that it never outlives whoever started it: ``python -m`` this module.

    python -m ai_voice_shared_testing._servers.supervisor WORKDIR LOGFILE [GLOB ...] -- COMMAND ...

Starts COMMAND in this process's group, then waits for its standard input to close: the parent
closes the pipe to stop the server, and the kernel closes it when the parent dies by any means
(SIGTERM, SIGKILL, a crash, a pytest-xdist worker torn down). Either way, and on SIGTERM or
SIGINT to this process, it stops COMMAND (SIGTERM, then SIGKILL after 10 s) and deletes WORKDIR,
LOGFILE and the files matching each GLOB (what COMMAND leaves outside WORKDIR: SeaweedFS's unix
sockets in /tmp). If COMMAND exits by itself, so does this process, with its code, deleting
WORKDIR and the GLOB files but leaving LOGFILE for the parent to read why.

A server started in a session of its own survives a parent killed by a signal: pytest handles
SIGINT, not SIGTERM, so without this a SeaweedFS server was left running, its data behind.
Only the standard library is used: it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import threading

__all__ = ["main"]

_GRACE = 10.0


def main(argv: list[str]) -> int:
    """Supervise ``argv`` (``WORKDIR -- COMMAND ...``); return the exit code."""
    split = argv.index("--") if "--" in argv else -1
    if split < 2 or split == len(argv) - 1:
        print(
            f"usage: python -m {__spec__.name if __spec__ else __name__} WORKDIR LOGFILE "
            "[GLOB ...] -- COMMAND"
        )
        return 2
    workdir, logfile, leftovers, command = argv[0], argv[1], argv[2:split], argv[split + 1 :]

    def remove_leftovers() -> None:
        shutil.rmtree(workdir, ignore_errors=True)
        for pattern in leftovers:
            for path in glob.glob(pattern):
                with contextlib.suppress(OSError):
                    os.unlink(path)

    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    done = threading.Event()

    def stop(*_: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_parent() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the
        # interpreter at exit (it cannot take the buffer's lock).
        with contextlib.suppress(OSError):
            while os.read(0, 65536):
                pass
        done.set()

    def watch_child() -> None:
        child.wait()
        done.set()

    for target in (watch_parent, watch_child):
        threading.Thread(target=target, daemon=True).start()
    while not done.wait(0.5):
        pass
    code = child.poll()
    if code is not None:  # it died by itself: the parent reads the log, then deletes it
        remove_leftovers()
        return code
    if code is None:
        # The parent starts this process as a group leader, COMMAND in the same group: the
        # whole group gets SIGTERM (anything COMMAND spawned included), this process aside.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(ProcessLookupError):
            if os.getpgrp() == os.getpid():
                os.killpg(0, signal.SIGTERM)
            else:
                child.terminate()
        try:
            code = child.wait(_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
    remove_leftovers()
    with contextlib.suppress(OSError):
        os.unlink(logfile)
    return code


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code if code >= 0 else 128 - code)  # no finalisation under the watcher threads
