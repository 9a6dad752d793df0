"""Processes newsmon starts die with the process that started them.

A daemon killed outright (SIGKILL, the OOM killer) runs no clean-up, so its parse workers
would live on, holding memory for nothing. On Linux, ``PR_SET_PDEATHSIG`` has the kernel send
a signal to a process when its parent dies: the forkserver gets it when the daemon dies
(``monitor.daemon._forkserver`` sets it there, as a preload), and each worker when the
forkserver dies (the pool's initializer). Elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have the kernel kill this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
