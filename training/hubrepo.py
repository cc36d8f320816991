"""The Hugging Face Hub repository the checkpoints are published to (training.publish) and read from
(training.hub): its default name, the revision this code pins, and the rules a name must follow."""

from __future__ import annotations

import os
import re

HUB_REPO_ENV = "BINARYGAN_HUB_REPO"
HUB_REVISION_ENV = "BINARYGAN_HUB_REVISION"
DEFAULT_HUB_REPO = "binarygan-explorer/binarygan-mnist"
# The tag `python -m training publish` puts on the campaign this code was released with. A tag, not a
# branch: a new campaign gets a new tag, so an installed copy keeps loading the models it was tested with.
HUB_REVISION = "v1"
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


class HubConfigError(ValueError):
    """BINARYGAN_HUB_REPO or BINARYGAN_HUB_REVISION (or --repo-id, --revision) is not usable."""


def check_repo_id(repo_id: str, what: str = "repository id") -> str:
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise HubConfigError(f"{what} {repo_id!r} is not a Hub model repository id of the form ORG/NAME")
    return repo_id


def check_revision(revision: str, what: str = "revision") -> str:
    if not _REVISION.fullmatch(revision) or ".." in revision or revision.endswith("/"):
        raise HubConfigError(f"{what} {revision!r} is not a branch, tag or commit name")
    return revision


def hub_repo() -> tuple[str, str]:
    """(repo id, revision) from the environment, with the defaults this release was published under."""
    repo_id = os.environ.get(HUB_REPO_ENV) or DEFAULT_HUB_REPO
    revision = os.environ.get(HUB_REVISION_ENV) or HUB_REVISION
    return check_repo_id(repo_id, HUB_REPO_ENV), check_revision(revision, HUB_REVISION_ENV)
