"""explorer/docs_tables.py: the generated tables in docs/ are the shipped files', and one command keeps them so."""

from __future__ import annotations

import pytest

from explorer import docs_tables
from training.checkpoint import REPO_CHECKPOINTS


def test_every_generated_table_in_docs_is_the_shipped_files():
    assert docs_tables.update() == [], "stale tables in docs/: run `python -m explorer.docs_tables --write`"


def _doc(file: str, body: str) -> str:
    return "".join(
        f"intro\n\n<!-- generated: {name} (python -m explorer.docs_tables --write) -->\n{body}"
        f"<!-- end generated: {name} -->\n\nprose after {name}\n"
        for f, name in docs_tables.TABLES
        if f == file
    )


def test_a_stale_block_is_named_and_rewritten_and_nothing_else_moves():
    stale_text = _doc("results.md", "| an old table |\n")
    fresh, stale = docs_tables.render(stale_text, "results.md", REPO_CHECKPOINTS)
    assert sorted(stale) == sorted(name for f, name in docs_tables.TABLES if f == "results.md")
    assert "| an old table |" not in fresh and fresh.count("prose after") == len(stale)
    again, none = docs_tables.render(fresh, "results.md", REPO_CHECKPOINTS)
    assert again == fresh and none == []


def test_a_missing_block_is_an_error_naming_it():
    text = _doc("results.md", "x\n").replace("generated: seeds (", "generated: seedz (")
    text = text.replace("end generated: seeds", "end generated: seedz")
    with pytest.raises(ValueError, match="docs/results.md: generated blocks .*seedz.*expected .*seeds"):
        docs_tables.render(text, "results.md", REPO_CHECKPOINTS)


def test_check_fails_on_stale_files_and_write_mends_them(tmp_path, monkeypatch, capsys):
    files = {f for f, _ in docs_tables.TABLES}
    for file in files:
        (tmp_path / file).write_text(_doc(file, "| stale |\n"))
    monkeypatch.setattr(docs_tables, "DOCS", tmp_path)
    assert docs_tables.main(["--check"]) == 1
    assert "stale: docs/conditional.md: gated-headline" in capsys.readouterr().err
    assert all("| stale |" in (tmp_path / f).read_text() for f in files)  # --check writes nothing
    assert docs_tables.main(["--write"]) == 0
    assert docs_tables.main(["--check"]) == 0
    assert not any("| stale |" in (tmp_path / f).read_text() for f in files)
