"""`tronwatch completion bash|zsh`: a shell completion script generated from the argparse parser."""

from __future__ import annotations

import argparse
from pathlib import Path

import shtab

SHELLS = ("bash", "zsh")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `completion` subcommand."""
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description=(
            "Print a completion script for every subcommand and option. bash: "
            'eval "$(tronwatch completion bash)" in ~/.bashrc; zsh: tronwatch completion zsh '
            '> "${fpath[1]}/_tronwatch".'
        ),
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for `parser` in `shell`."""
    _complete_paths(parser)
    text: str = shtab.complete(parser, shell=shell)
    return text


def _complete_paths(parser: argparse.ArgumentParser) -> None:
    """Options typed Path complete file names (directories for a *_dir option), in every subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _complete_paths(child)
        elif action.type is Path:
            action.complete = shtab.DIRECTORY if action.dest.endswith("dir") else shtab.FILE  # type: ignore[attr-defined]
