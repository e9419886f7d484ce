"""`tronwatch completion bash|zsh`: the scripts a user sources complete subcommands, options and files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

# Calls the function the script registered for `tronwatch`, as bash does on <TAB>.
BASH_DRIVER = r"""
source "$1"
fn=$(complete -p tronwatch | sed -E 's/.*-F ([^ ]+) .*/\1/')
words=("${@:2}")
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${words[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" tronwatch "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def _script(shell: str, tmp_path: Path) -> Path:
    out = subprocess.run(
        [sys.executable, "-m", "daemon", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    path = tmp_path / f"tronwatch.{shell}"
    path.write_text(out.stdout)
    return path


def _complete(script: Path, cwd: Path, *words: str) -> list[str]:
    result = subprocess.run(
        ["bash", "-c", BASH_DRIVER, "driver", str(script), "tronwatch", *words],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        timeout=30,
    )
    return result.stdout.split()


def test_bash_completes_subcommands_options_and_config_files(tmp_path: Path) -> None:
    script = _script("bash", tmp_path)
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "tronwatch.yml").write_text("")
    assert _complete(script, work, "ke") == ["keys"]
    assert _complete(script, work, "keys", "") == ["create", "list", "revoke"]
    assert _complete(script, work, "run", "--no") == ["--no-migrate"]
    assert _complete(script, work, "run", "-c", "tron") == ["tronwatch.yml"]
    assert _complete(script, work, "run", "--data-dir", "da") == ["data"]
    assert _complete(script, work, "completion", "") == ["bash", "zsh"]


def test_zsh_script_parses_and_defines_the_completion_function(tmp_path: Path) -> None:
    if shutil.which("zsh") is None:
        pytest.fail("zsh is not installed: apt-get install zsh (scripts/test installs it)")
    script = _script("zsh", tmp_path)
    assert script.read_text().startswith("#compdef tronwatch")
    check = subprocess.run(
        [
            "zsh",
            "-fc",
            f"autoload -U compinit && compinit -u -d {tmp_path}/zcd && source {script} && "
            "whence -w _shtab_tronwatch",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert check.returncode == 0 and "function" in check.stdout, check.stdout + check.stderr
