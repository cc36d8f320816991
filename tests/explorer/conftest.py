import shutil

import pytest

from explorer import demo


@pytest.fixture(scope="module")
def evaluated_root(checkpoints_root, tmp_path_factory):
    """The shared fixture's checkpoints plus demo evaluation files and one corrupt checkpoint."""
    root = tmp_path_factory.mktemp("evaluated") / "checkpoints"
    shutil.copytree(checkpoints_root, root)
    return demo.build(root)
