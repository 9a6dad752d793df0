"""The ``newsmon`` command: parse the command line, then import and run just that command.

Exit status: 0 success, 1 a runtime failure (Redis unreachable, a source failed with --once,
nothing matched for ``keywords test``), 2 a usage or config error (named file, key and reason).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, cast

from monitor.cli import parser
from monitor.errors import ConfigError, NewsmonError, QueryError, UsageError

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsmon`` console script."""
    args = parser.build().parse_args(argv)  # --help and usage errors end here, cheaply
    import asyncio

    try:
        return int(asyncio.run(handler(args.handler)(args)))
    except (ConfigError, QueryError) as exc:
        what = "config error" if isinstance(exc, ConfigError) else "invalid query"
        print(f"newsmon: {what}: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    except NewsmonError as exc:  # Redis unreachable, a snapshot that cannot be read, ...
        print(f"newsmon: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `newsmon subscribe | head -1`: the reader has all it wanted
        _quiet_stdout()
        return 0


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush meets no closed pipe."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def handler(name: str) -> Handler:
    """The function a ``module:function`` name under ``monitor.cli`` stands for."""
    module, _, function = name.partition(":")
    return cast(Handler, getattr(importlib.import_module(f"monitor.cli.{module}"), function))
