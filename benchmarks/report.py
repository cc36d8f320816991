"""The Markdown tables the benchmarks print."""

from __future__ import annotations


def table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """One row per dict; columns are (key, title, format spec)."""
    head = " | ".join(title for _, title, _ in columns)
    lines = [f"| {head} |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(format(r[key], fmt) for key, _, fmt in columns) + " |")
    return "\n".join(lines)
