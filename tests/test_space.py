"""The hosted Space: README front matter, Dockerfile, .dockerignore and requirements.txt agree with each other
and with the app; a replay of the Dockerfile in a fresh virtual environment serves a healthy app."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import SpaceCard
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.helpers import REPO, free_port, wait_until_healthy
from training.hubrepo import DEFAULT_HUB_REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
HF_COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
CPU_INDEX = re.compile(r"\s--index-url[= ]https://download\.pytorch\.org/whl/cpu\b")
ADMIN_COMMANDS = ("useradd",)  # RUN steps that set up the image's system, not the app


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    text = re.sub(
        r"\\\n\s*",
        " ",
        "\n".join(line for line in (REPO / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()
    ]


def instruction(name: str) -> list[str]:
    return [arg for kw, arg in dockerfile() if kw == name]


def space_card():
    return SpaceCard.load(REPO / "README.md")


def cmd_options(cmd: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in cmd if a.startswith("--"))


def test_front_matter_is_a_valid_docker_space():
    card = space_card()
    data = card.data.to_dict()
    for key in (
        "title",
        "emoji",
        "colorFrom",
        "colorTo",
        "sdk",
        "app_port",
        "license",
        "short_description",
        "models",
        "datasets",
    ):
        assert data.get(key), key
    assert data["sdk"] == "docker" and data["app_port"] == 8501
    assert {data["colorFrom"], data["colorTo"]} <= HF_COLORS
    assert len(data["short_description"]) <= 60  # the Hub's limit
    assert data["license"] == PYPROJECT["project"]["license"].lower()
    assert data["models"] == [DEFAULT_HUB_REPO] and data["datasets"] == ["mnist"]
    # after the front matter the README still opens with its two set-up commands
    blocks = re.findall(r"```bash\n(.*?)\n```", card.text, re.S)
    assert card.text.lstrip().startswith("# BinaryGAN Explorer\n")
    assert blocks[:2] == ["pip install torch==2.13.0 -e . && streamlit run streamlit_app.py", "bash .ci/run"]


def test_dockerfile_agrees_with_the_app_and_the_front_matter():
    port = space_card().data.app_port
    (base,) = instruction("FROM")
    image_python = re.fullmatch(r"python:(\d+\.\d+)-slim", base).group(1)
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(f"{image_python}.0")
    assert instruction("EXPOSE") == [str(port)]
    (cmd,) = instruction("CMD")
    cmd = json.loads(cmd)  # exec form: signals reach streamlit, no shell in between
    assert cmd[:3] == ["streamlit", "run", "streamlit_app.py"] and (REPO / cmd[2]).is_file()
    opts = cmd_options(cmd)
    assert opts["--server.address"] == "0.0.0.0" and opts["--server.port"] == str(port)
    assert opts["--server.headless"] == "true"
    (health,) = instruction("HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/_stcore/health" in health and " CMD " in f" {health} "
    users = instruction("USER")
    assert users and users[-1] not in ("root", "0")
    steps = dockerfile()
    last_user = max(i for i, (kw, _) in enumerate(steps) if kw == "USER")
    assert last_user < min(i for i, (kw, arg) in enumerate(steps) if kw == "RUN" and "pip install" in arg)
    runs = instruction("RUN")
    torch_pin = next(r for r in PYPROJECT["project"]["dependencies"] if r.startswith("torch"))
    assert any(CPU_INDEX.search(r) and f" {torch_pin}" in r for r in runs)
    assert any("-r requirements.txt" in r for r in runs)


def test_constraints_pin_every_package_the_image_installs():
    """Exact versions for requirements.txt and all it pulls in, and the Dockerfile installs with them."""
    pins = [
        Requirement(ln) for ln in (REPO / "constraints.txt").read_text().splitlines() if ln and not ln.startswith("#")
    ]
    assert all(len(p.specifier) == 1 and next(iter(p.specifier)).operator == "==" for p in pins)
    pinned = {p.name.lower().replace("_", "-"): next(iter(p.specifier)).version for p in pins}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            req = Requirement(line)
            assert req.specifier.contains(pinned[req.name.lower()], prereleases=True), req
    assert any("-r requirements.txt -c constraints.txt" in r for r in instruction("RUN"))


def test_requirements_txt_matches_pyproject():
    lines = [ln.strip() for ln in (REPO / "requirements.txt").read_text().splitlines()]
    listed = sorted(str(Requirement(ln)) for ln in lines if ln and not ln.startswith("#"))
    assert listed == sorted(str(Requirement(r)) for r in PYPROJECT["project"]["dependencies"])


def dockerignore() -> list[str]:
    return [
        ln.strip()
        for ln in (REPO / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]


def ignored(rel: str, patterns: list[str]) -> bool:
    """Docker's rule for the patterns used here: a pattern matches the path or a folder above it, and `**/`
    matches any number of folders."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pat in patterns:
        pat = pat.lstrip("/")
        if pat.startswith("**/"):
            if any(
                fnmatch.fnmatchcase("/".join(p.split("/")[i:]), pat[3:])
                for p in prefixes
                for i in range(len(p.split("/")))
            ):
                return True
        elif any(fnmatch.fnmatchcase(p, pat) for p in prefixes):
            return True
    return False


def build_context() -> list[str]:
    """The files `docker build .` sends, as paths relative to the repository."""
    patterns, files = dockerignore(), []
    for dirpath, dirnames, filenames in os.walk(REPO):
        rel_dir = Path(dirpath).relative_to(REPO).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not ignored(rel_dir + d, patterns))
        files += [rel_dir + f for f in sorted(filenames) if not ignored(rel_dir + f, patterns)]
    return files


def test_build_context_holds_the_app_and_no_development_files():
    assert not any(p.startswith("!") for p in dockerignore())  # ignored() does not implement exceptions
    files = set(build_context())
    for needed in (
        "streamlit_app.py",
        "pyproject.toml",
        "README.md",
        "requirements.txt",
        "constraints.txt",
        ".streamlit/config.toml",
        "training/pretrained.py",
        "training/hub.py",
        "training/checkpoint.py",
    ):
        assert needed in files, needed
    assert any(f.startswith("dashboard/") for f in files)
    assert not [
        f
        for f in files
        if f.split("/")[0] in ("tests", "runs", ".git", ".ci", ".venv")
        or "__pycache__" in f
        or f.endswith(("train_state.safetensors", ".tmp"))
    ]


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except OSError:
        return None


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def test_the_image_preloads_the_checkpoints_at_build_time():
    """The Space does not download on its first visit: a build step fills the Hugging Face cache the app reads."""
    runs, envs = instruction("RUN"), " ".join(instruction("ENV"))
    assert "python -m training.hub --preload" in runs
    assert "HF_HOME=/home/user/.cache/huggingface" in envs
    steps = dockerfile()
    preload = steps.index(("RUN", "python -m training.hub --preload"))
    assert preload > max(i for i, (kw, a) in enumerate(steps) if kw == "RUN" and "pip install" in a)
    assert preload > next(i for i, (kw, a) in enumerate(steps) if kw == "ENV" and "HF_HOME=" in a)


def seed_hub_cache(cache: Path, campaign_root: Path, tmp: Path) -> int:
    """What the build's download would leave in the cache, offline: the `publish --dry-run` folder of a campaign,
    laid out as the client caches the default repository at the pinned revision. Returns its file count."""
    from tests.helpers import build_hub_cache, make_campaign
    from training.hubrepo import HUB_REVISION
    from training.publish import prepare

    campaign = make_campaign(tmp / "campaign", campaign_root)
    manifest = prepare(campaign, tmp / "repo", DEFAULT_HUB_REPO, HUB_REVISION)
    build_hub_cache(tmp / "repo", cache, DEFAULT_HUB_REPO, HUB_REVISION)
    return len(manifest["files"])


@pytest.mark.slow
def test_replayed_dockerfile_serves_a_healthy_app(tmp_path, checkpoints_root):
    """Every install and start step of the Dockerfile, in order, in a fresh virtual environment: /home/user
    becomes a temporary folder, the user set-up is skipped (this runs as the current user), and torch comes
    from pip's configuration here instead of the CPU index (no internet; pip has the CPU wheel locally).

    The build context leaves out checkpoints/, as a Space repository without them does, so the preload step has
    the work to do: offline, the Hub's answer is a cache seeded as the download leaves it, and the step verifies
    every file against the manifest."""
    home = tmp_path / "home"
    context = [f for f in build_context() if not f.startswith("checkpoints/")]
    home.mkdir()
    n_files = seed_hub_cache(home / ".cache" / "huggingface" / "hub", checkpoints_root, tmp_path)
    outputs = []
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "BINARYGAN_", "VIRTUAL_ENV", "PYTHON", "STREAMLIT_"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `python` is this interpreter
    env["XDG_CONFIG_HOME"] = os.environ.get("XDG_CONFIG_HOME", str(Path.home() / ".config"))  # pip's config
    env |= {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}  # no Hub here: fail fast instead of retrying
    workdir, exposed, health, cmd, cpu_index_dropped = home, None, None, None, 0
    for kw, arg in dockerfile():
        arg = arg.replace("/home/user", str(home))
        if kw == "ENV":
            for pair in shlex.split(arg):
                key, value = pair.split("=", 1)
                env[key] = expand(value, env)
        elif kw == "WORKDIR":
            workdir = Path(arg)
            workdir.mkdir(parents=True, exist_ok=True)
        elif kw == "RUN" and not arg.startswith(ADMIN_COMMANDS):
            arg, n = CPU_INDEX.subn("", arg)
            cpu_index_dropped += n
            run = subprocess.run(["bash", "-c", arg], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
            assert run.returncode == 0, f"RUN {arg}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            outputs.append(run.stdout)
        elif kw == "COPY":
            *sources, dest = [a for a in shlex.split(arg) if not a.startswith("--")]
            for src in sources:
                for rel in (f for f in context if src == "." or f == src):
                    target = (workdir / dest / (rel if src == "." else Path(rel).name)).resolve()
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / rel, target)
        elif kw == "EXPOSE":
            exposed = arg
        elif kw == "HEALTHCHECK":
            health = arg.split(" CMD ", 1)[1]
        elif kw == "CMD":
            cmd = json.loads(arg)
    assert cpu_index_dropped == 1 and exposed and health and cmd
    assert any(f"preloaded {n_files} files of {DEFAULT_HUB_REPO}" in out for out in outputs), outputs[-1]
    assert Path(env["PATH"].split(os.pathsep)[0]).parent == home / "venv"  # the image's own venv, fresh here
    assert shutil.which("streamlit", path=env["PATH"]).startswith(str(home / "venv"))

    port = str(free_port())
    log = open(tmp_path / "streamlit.log", "w")  # noqa: SIM115  (the server writes it until the finally below closes it)
    server = subprocess.Popen(
        [a.replace(exposed, port) for a in cmd],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server, timeout_s=120)
        except RuntimeError as e:
            pytest.fail(f"{e}\n{(tmp_path / 'streamlit.log').read_text()[-3000:]}")
        check = subprocess.run(["bash", "-c", health.replace(exposed, port)], cwd=workdir, env=env, timeout=30)
        assert check.returncode == 0  # the image's own HEALTHCHECK command agrees
        assert http_status(f"http://127.0.0.1:{port}/") == 200
        # what the app reads on its first page resolves from the preloaded cache, offline, verified
        resolve = subprocess.run(
            ["python", "-c", "from training import hub; print(hub.checkpoints_dir())"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resolve.returncode == 0 and "/snapshots/" in resolve.stdout, resolve.stderr[-2000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the group this test started: streamlit and its children
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_no_pages_folder_beside_the_app():
    """Streamlit treats a `pages/` folder beside the main script as a v1 multipage app: a fresh server's first run
    then skips streamlit_app.py and lists that folder's files as the menu (tests/browser/test_address_browser.py
    sees it at first paint). The pages live in dashboard/."""
    assert not (REPO / "pages").exists()
    assert (REPO / "dashboard" / "overview.py").is_file()
