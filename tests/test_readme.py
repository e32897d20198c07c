"""The README's recipes work as written: the runtime snippet runs (embedded and on NATS),
the local nats-server command starts JetStream, and the CI and pre-commit recipes install
one release from a git URL and a revision that exists."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import lucent_lint
from tests.conftest import _free_port, nats_server_binary, wait_until_listening
from tests.gate.helpers import GIT_ENV, git, write

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text from the heading ``title`` to the next heading of its level."""
    start = README.index(f"\n{title}\n")
    level = title.split(" ", 1)[0]
    end = README.find(f"\n{level} ", start + len(title) + 2)
    return README[start : end if end != -1 else len(README)]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "OTEL_", "LUCENT_"))}
    env.update(extra)
    return env


def run_snippet(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    (snippet,) = blocks(section("## The runtime"), "python")[:1]
    (tmp_path / "swap.py").write_text(snippet, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "swap.py"],
        cwd=tmp_path,
        env=clean_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_runtime_snippet_runs_as_written(tmp_path: Path) -> None:
    done = run_snippet(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[(1, 'SwapExecuted')]" in done.stdout
    assert (tmp_path / ".lucent" / "events.sqlite3").is_file()  # as the README says


def test_runtime_snippet_runs_on_nats(tmp_path: Path, nats_server: str) -> None:
    done = run_snippet(tmp_path, NATS_URL=nats_server)
    assert done.returncode == 0, done.stderr
    assert "[(1, 'SwapExecuted')]" in done.stdout


def test_local_nats_server_command_starts_jetstream(tmp_path: Path) -> None:
    (command,) = [
        line.strip()
        for block in blocks(section("## The runtime"), "bash")
        for line in block.splitlines()
        if line.strip().startswith("nats-server ")
    ]
    argv = shlex.split(command)
    port = _free_port()
    argv = [nats_server_binary(), *(str(port) if a == "4222" else a for a in argv[1:])]
    assert "-js" in argv
    process = subprocess.Popen(
        argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_listening(process, port)

        async def jetstream_is_on() -> None:
            import nats

            nc = await nats.connect(f"nats://127.0.0.1:{port}")
            try:
                info = await nc.jetstream().account_info()
                assert info.limits is not None
            finally:
                await nc.close()

        asyncio.run(jetstream_is_on())
        assert (tmp_path / ".lucent" / "nats").is_dir()  # -sd, relative to where it runs
    finally:
        process.terminate()
        process.wait(timeout=10)


def install_lines() -> list[str]:
    return [
        line.strip()
        for line in README.splitlines()
        if "pip install" in line and "lucent-lint" in line
    ]


def test_ci_recipes_install_this_release_from_git() -> None:
    tag = f"v{lucent_lint.__version__}"
    ci = section("## CI")
    installs = [line for line in ci.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        assert '"lucent-lint @ git+' in line, line
        assert f"@{tag}" in line, line
    (config,) = [b for b in blocks(ci, "yaml") if "repos:" in b]
    (repo,) = yaml.safe_load(config)["repos"]
    assert repo["rev"] == tag
    assert [hook["id"] for hook in repo["hooks"]] == ["lucent-lint"]
    assert f"`lucent-lint --version` prints `{lucent_lint.__version__}`" in ci


@pytest.mark.slow
def test_pre_commit_and_pip_recipes_work_from_a_tagged_clone(tmp_path: Path) -> None:
    """The recipes with the git URL replaced by a clone of this repository, tagged with this
    version's release tag: pip resolves the tag to this version, pre-commit
    installs and runs the hook from it."""
    if not (REPO / ".git").exists():
        pytest.skip("needs the git history of this checkout")
    tag = f"v{lucent_lint.__version__}"
    clone = tmp_path / "lucent-lint"
    git(REPO, "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    subprocess.run(  # on this checkout, also where the repository has the tag already
        ["git", "tag", "--force", "-a", tag, "-m", "release"],
        cwd=clone,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    ci = section("## CI")
    # every recipe installs the same requirement
    (requirement,) = set(re.findall(r'pip install "(lucent-lint @ git\+[^"]+)"', ci))
    url = re.search(r"git\+(\S+?)@v", requirement)[1]  # type: ignore[index]
    # file://localhost/...: pip's requirement parser wants a host in a git+ URL
    local = requirement.replace(url, f"file://localhost{clone}")
    report = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--dry-run", "--quiet",
         "--report", "-", local],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    (item,) = json.loads(report.stdout)["install"]
    assert item["metadata"]["version"] == lucent_lint.__version__

    (config,) = [b for b in blocks(ci, "yaml") if "repos:" in b]
    work = tmp_path / "project"
    work.mkdir()
    git(work, "init", "--quiet")
    write(work, {".pre-commit-config.yaml": config.replace(url, str(clone)), "ok.py": "X = 1\n"})
    git(work, "add", "-A")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lucent-lint" in done.stdout and "Passed" in done.stdout
