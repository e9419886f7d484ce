"""Every document a code comment cites is in the repository, down to the section it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("daemon", "tests", "bench", "migrations", "rules")
SUFFIXES = {".py", ".md", ".yml", ".yaml", ".toml", ".txt", ".sql"}
DOC = re.compile(r"\bdocs/([\w.-]+\.md)(?:#([\w-]+))?(?:, fact (\d+))?")
# `name.md §N` or a bare `§N`: section numbers of a document the reader cannot see. "Issue 17 §3" is fine.
SECTION = re.compile(r"(issue \d+ ?)?\u00a7\s?\d", re.I)
FOREIGN = re.compile(r"\b[\w-]+\.md\b")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", doc.read_text(), re.M)}


def _facts(doc: Path) -> set[int]:
    return {int(n) for n in re.findall(r"^(\d+)\. ", doc.read_text(), re.M)}


def _sources() -> list[Path]:
    me = Path(__file__).resolve()
    return [
        p
        for top in SCANNED
        for p in sorted((ROOT / top).rglob("*"))
        if p.suffix in SUFFIXES
        and p.is_file()
        and p.resolve() != me
        and not {".pytest-tmp", "node_modules", "__pycache__"} & set(p.parts)  # not ours: installed or made
    ]


def citation_problems(files: list[Path]) -> list[str]:
    """One line per citation of a document, section or numbered fact the repository lacks."""
    problems = []
    for path in files:
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            at = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{no}"
            for m in DOC.finditer(line):
                doc = ROOT / "docs" / m.group(1)
                if not doc.is_file():
                    problems.append(f"{at}: docs/{m.group(1)} does not exist")
                elif m.group(2) and m.group(2) not in _anchors(doc):
                    problems.append(f"{at}: docs/{m.group(1)} has no section #{m.group(2)}")
                elif m.group(3) and int(m.group(3)) not in _facts(doc):
                    problems.append(f"{at}: docs/{m.group(1)} has no fact {m.group(3)}")
            if any(m.group(1) is None for m in SECTION.finditer(line)):
                problems.append(f"{at}: cites a section number: {line.strip()[:80]}")
            for m in FOREIGN.finditer(line):
                name = m.group(0)
                before = line[: m.start()]
                if before.endswith("docs/") or name.lower() in ("readme.md", "security.md"):
                    continue
                if not (path.parent / name).is_file():
                    problems.append(f"{at}: cites {name} (a document under docs/ is named docs/{name})")
    return problems


def test_every_cited_document_and_section_exists() -> None:
    assert citation_problems(_sources()) == []


def test_a_missing_document_a_missing_section_and_a_section_number_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text(
        "# EnergyLimit (tron.md \u00a73)\n"
        "# decay (docs/tron.md#no-such-section)\n"
        "# ok (docs/tron.md#recovery)\n"
        "# fee (docs/nothing-here.md)\n"
        "# java (docs/devnode-fidelity.md, fact 99)\n"
    )
    assert [p.split(": ", 1)[1] for p in citation_problems([bad])] == [
        "cites a section number: # EnergyLimit (tron.md \u00a73)",
        "cites tron.md (a document under docs/ is named docs/tron.md)",
        "docs/tron.md has no section #no-such-section",
        "docs/nothing-here.md does not exist",
        "docs/devnode-fidelity.md has no fact 99",
    ]
