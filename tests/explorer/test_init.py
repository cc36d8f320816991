"""explorer's public names: one list, each lazy name resolves, and `import explorer` stays free of torch."""

import subprocess
import sys

import pytest

import explorer


def test_every_public_name_is_exported_lazily_and_resolves():
    assert set(explorer.__all__) == set(explorer._EXPORTS)
    for name in explorer.__all__:
        assert getattr(explorer, name) is getattr(sys.modules[explorer._EXPORTS[name]], name)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        explorer.no_such_name  # noqa: B018


def test_importing_explorer_does_not_load_torch():
    code = "import sys, explorer; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
