"""``ai-voice-shared``: the parser, built from one module per command, and the dispatch.

Every usage error, argparse's own included, is one line on stderr and exit code 2; a closed
stdout (``... | head``) ends the command quietly; Ctrl-C before a command handles it exits 130
without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from ai_voice_shared_testing._cli import demo, fakes, send, verify
from ai_voice_shared_testing._cli.exits import EXIT_FAILED, EXIT_USAGE, UsageError

__all__ = ["main", "parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block): ``PROG: error: MESSAGE``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The whole command line: every command with its options and its ``run``."""
    root = _Parser(
        prog="ai-voice-shared",
        description="Demo, local fakes (S3, customer lookup, Twilio API) and Twilio tools of the "
        "ai-voice-shared library.",
    )
    commands = root.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    demo.configure(commands.add_parser("demo", help=demo.HELP))
    fakes.configure(commands.add_parser("fakes", help=fakes.HELP, description=fakes.DESCRIPTION))
    twilio = commands.add_parser(
        "twilio", help="Twilio tools: verify a signature, send a signed webhook."
    )
    tools = twilio.add_subparsers(dest="tool", required=True, metavar="TOOL", parser_class=_Parser)
    verify.configure(tools.add_parser("verify", help=verify.HELP, description=verify.DESCRIPTION))
    send.configure(tools.add_parser("send", help=send.HELP, description=send.DESCRIPTION))
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    code = 0
    try:
        args = parser().parse_args(argv)
        try:
            code = int(args.run(args))
        except UsageError as error:
            message = " ".join(str(error).split())
            print(f"ai-voice-shared: error: {message}", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say to it. Point stdout at devnull
        # so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return code or EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return code
