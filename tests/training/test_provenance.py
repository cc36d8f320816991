import subprocess

from training.provenance import code_commit


def _git(repo, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_code_commit_is_read_from_git_and_marks_uncommitted_training_code(tmp_path):
    """In a repository of its own, so the test holds in a tree copied without .git as well."""
    package = tmp_path / "repo" / "training"
    package.mkdir(parents=True)
    (package / "x.py").write_text("A = 1\n")
    _git(package.parent, "init", "-q")
    _git(package.parent, "add", ".")
    _git(package.parent, "commit", "-q", "-m", "x")
    head = _git(package.parent, "rev-parse", "HEAD")
    assert code_commit(package) == head
    (package.parent / "notes.txt").write_text("outside training/: not part of the code")
    assert code_commit(package) == head
    (package / "x.py").write_text("A = 2\n")
    assert code_commit(package) == head + "-dirty"


def test_code_commit_outside_git_comes_from_the_environment(tmp_path, monkeypatch):
    package = tmp_path / "copy" / "training"  # a tree copied without .git
    package.mkdir(parents=True)
    monkeypatch.delenv("BINARYGAN_CODE_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # git must not find a repository above tmp_path
    assert code_commit(package) == "unknown"
    monkeypatch.setenv("BINARYGAN_CODE_COMMIT", "0123abcd")
    assert code_commit(package) == "0123abcd"
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH at all, as on a bare GPU machine
    assert code_commit(package) == "0123abcd"
