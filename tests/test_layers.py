"""The one rule for what the dashboard takes from training/ directly (CONTRIBUTING.md, "What the dashboard may
import"): torch-free modules of names, definitions and pure helpers. Anything that loads torch or runs a model is
reached through explorer/."""

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

DASHBOARD_MAY_IMPORT = {
    "training.config",  # the variant schema
    "training.variants",  # the registry
    "training.metrics",
    "training.checkpoint",
    "training.images",
    "training.hubrepo",
    "training.hub",  # where checkpoints come from: the local folder or the Hub (no torch)
    "training.rng",  # the seed range (torch is imported only where a generator is made)
}


def training_imports(path: Path) -> set[str]:
    """Every training module a file imports, at any depth (inside functions and TYPE_CHECKING blocks too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "training":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "training"}
    return found


def test_the_dashboard_imports_only_the_allowed_training_modules():
    files = [*sorted((REPO / "dashboard").glob("*.py")), REPO / "streamlit_app.py"]
    used = {f.name: training_imports(f) for f in files}
    assert any(used.values())  # the walk sees imports: the rule is checked, not vacuously true
    assert {name: mods - DASHBOARD_MAY_IMPORT for name, mods in used.items() if mods - DASHBOARD_MAY_IMPORT} == {}


def test_the_allowed_modules_do_not_import_torch():
    code = "import sys; import " + ", ".join(sorted(DASHBOARD_MAY_IMPORT)) + "; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
