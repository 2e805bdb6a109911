"""Fixtures for the plugin's tests: a copy of the shop example (its specs and
an itspec.toml that starts the real shop of this checkout) in pytester's
folder, and an itspec binary that logs every command line it is given."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from itspec import find_itspec_bin

pytest_plugins = ["pytester"]

REPO = Path(os.environ.get("ITSPEC_REPO", Path(__file__).resolve().parents[2]))
SHOP = REPO / "examples" / "shop"
# pytester gives each test a HOME of its own: cargo (the shop's service
# command) still needs its own folders.
CARGO_HOME = os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))
RUSTUP_HOME = os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))
CASE = re.compile(r"^### ([A-Za-z][\w-]*): (.+)$")


@dataclass
class Case:
    file: str
    id: str
    name: str
    line: int
    tags: list[str] = field(default_factory=list)
    skip: bool = False
    draft: bool = False

    @property
    def nodeid(self) -> str:
        return f"{self.file}::{self.id}"


def read_cases(root: Path, folders: tuple[str, ...] = ("specs",)) -> list[Case]:
    """The cases of the specs under each of root/FOLDER, read with a regex:
    what the plugin must collect, found without it."""
    cases: list[Case] = []
    for folder in folders:
        for spec in sorted((root / folder).glob("*.md")):
            file = f"{folder}/{spec.name}"
            text = spec.read_text(encoding="utf-8")
            draft = "**Status:** Draft" in text
            for number, line in enumerate(text.splitlines(), 1):
                match = CASE.match(line)
                if match:
                    cases.append(Case(file, match[1], match[2], number, draft=draft))
                elif cases and cases[-1].file == file:
                    if line.startswith("**Tags:**"):
                        cases[-1].tags = [t.strip() for t in line.split(":**", 1)[1].split(",")]
                    elif line.startswith("**Skip:**"):
                        cases[-1].skip = True
    return cases


class Shop:
    """The shop's specs in a pytester folder, as a team's project holds them."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        shutil.copytree(SHOP / "specs", self.root / "specs")
        shutil.copytree(SHOP / "channels", self.root / "channels")
        config = (SHOP / "itspec.toml").read_text(encoding="utf-8")
        command = os.environ.get(
            "ITSPEC_TEST_SHOP_COMMAND",
            f"cargo run --release --quiet --manifest-path {REPO / 'Cargo.toml'} -p shop",
        )
        for old, new in [
            ('command = "cargo run --release --quiet -p shop"', f"command = {_toml(command)}"),
            ('schema = "schema.sql"', f"schema = {_toml(str(SHOP / 'schema.sql'))}"),
            ('openapi = "openapi.yaml"', f"openapi = {_toml(str(SHOP / 'openapi.yaml'))}"),
        ]:
            assert old in config, f"examples/shop/itspec.toml no longer has {old!r}"
            config = config.replace(old, new)
        (self.root / "itspec.toml").write_text(config, encoding="utf-8")
        self.log = self.root / "itspec-commands.log"
        self.bin = logging_itspec(self.root / "bin", self.log)

    def cases(self, folders: tuple[str, ...] = ("specs",)) -> list[Case]:
        """The cases under specs/, or under each of `folders`."""
        return read_cases(self.root, folders)

    def pytest(self, *args: str) -> pytest.RunResult:
        """pytest in a process of its own, with the logging binary."""
        return self.pytester.runpytest_subprocess(f"--itspec-bin={self.bin}", *args)

    def commands(self) -> list[list[str]]:
        """Every command line the plugin ran, without the pid."""
        if not self.log.exists():
            return []
        return [json.loads(line)[1:] for line in self.log.read_text().splitlines()]

    def runs(self) -> list[list[str]]:
        """The `itspec run` command lines."""
        return [c for c in self.commands() if c[:1] == ["run"] and "--help" not in c]

    def pids(self) -> list[int]:
        return [json.loads(line)[0] for line in self.log.read_text().splitlines()]

    def edit(self, spec: str, old: str, new: str) -> None:
        path = self.root / "specs" / spec
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{spec}: {old!r} is not there once"
        path.write_text(text.replace(old, new), encoding="utf-8")


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def real_itspec() -> str:
    found = find_itspec_bin()
    assert found, "the itspec binary is not installed beside this Python nor on PATH"
    return found


def logging_itspec(folder: Path, log: Path, real: str | None = None) -> Path:
    """A script that appends [pid, args…] to log as a JSON line, then execs
    itspec (so the pid is itspec's)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "itspec"
    real = real or real_itspec()
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(json.dumps([os.getpid(), *sys.argv[1:]]) + '\\n')\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setenv("CARGO_HOME", CARGO_HOME)
    monkeypatch.setenv("RUSTUP_HOME", RUSTUP_HOME)
    return Shop(pytester)
