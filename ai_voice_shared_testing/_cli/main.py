"""``ai-voice-shared``: the parser, built from one module per command, and the dispatch."""

from __future__ import annotations

import argparse
import sys

from ai_voice_shared_testing._cli import demo, fakes, verify
from ai_voice_shared_testing._cli.exits import EXIT_USAGE, UsageError

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    """The whole command line: every command with its options and its ``run``."""
    root = argparse.ArgumentParser(
        prog="ai-voice-shared",
        description="Demo, local fakes and Twilio tools of the ai-voice-shared library.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo.configure(commands.add_parser("demo", help=demo.HELP))
    fakes.configure(commands.add_parser("fakes", help=fakes.HELP))
    twilio = commands.add_parser("twilio", help="Twilio tools.")
    tools = twilio.add_subparsers(dest="tool", required=True, metavar="TOOL")
    verify.configure(tools.add_parser("verify", help=verify.HELP, description=verify.DESCRIPTION))
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UsageError as error:
        print(f"ai-voice-shared: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return code
