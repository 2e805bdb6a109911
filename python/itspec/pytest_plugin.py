"""pytest plugin: every case of every itspec spec is a pytest item.

``pytest specs/`` collects each case of each spec (a ``*.md`` whose first
heading, outside code fences, is ``# Integration Test Spec…``) as an item
named ``specs/orders.md::TC-INT-002``. The items pytest selects (after
``-k``, ``-m``, ``--lf``, deselection) run in one ``itspec run --format
jsonl FILE::ID …`` process — one service start, one database record —
started at the first case's setup; each item reports the outcome itspec
gives its case. See docs/python.md; the events are docs/machine-interface.md.

The plugin is inert when no spec is collected: a ``.md`` file is read only
up to its first heading, and the binary is never started.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest

from itspec import find_itspec_bin

# How long, at the end of the session, itspec gets to stop the service and
# put the database back after SIGINT before it is sent SIGTERM, then SIGKILL.
STOP_TIMEOUT_S = 300.0
TERMINATE_TIMEOUT_S = 30.0
# After a Ctrl-C, how long itspec gets to stop by itself before the plugin
# sends it SIGINT (in case the signal reached pytest alone).
INTERRUPTED_GRACE_S = 10.0
# At most this much of itspec's standard error is quoted in a failure.
STDERR_LINES = 60
# pytest's own markers and those of other plugins are never set from a tag:
# a spec tagged `skip` or `timeout` must not change how pytest runs it.
_MARKER_NAME = re.compile(r"^[A-Za-z][\w.+-]*$")


class ItspecUnverified(UserWarning):
    """A check of a case that itspec could not execute (a prose assertion or
    setup line): the case's outcome does not cover it."""


class ItspecWarning(UserWarning):
    """A finding itspec lets pass, such as a contract finding under
    `[contract] undocumented_status = "warn"`."""


class ItspecCaseFailed(Exception):
    """A case itspec reported as failed; its text is the evidence."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def looks_like_spec(path: Path) -> bool:
    """Whether the file's first heading outside code fences is
    ``# Integration Test Spec…`` (the rule itspec's discovery uses)."""
    fence: str | None = None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number == 0:
                    line = line.lstrip("\ufeff")
                trimmed = line.lstrip()
                if fence is not None:
                    if trimmed.startswith(fence):
                        fence = None
                    continue
                if trimmed.startswith("```"):
                    fence = "```"
                    continue
                if trimmed.startswith("~~~"):
                    fence = "~~~"
                    continue
                if trimmed.startswith("#"):
                    heading = trimmed[1:]
                    return heading[:1] in (" ", "\t") and heading.lstrip().lower().startswith(
                        "integration test spec"
                    )
    except OSError:
        return False
    return False


# ---------------------------------------------------------------------------
# Options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("itspec", "itspec integration test specs")
    group.addoption(
        "--itspec",
        action="store_true",
        default=False,
        help="with no paths given: collect the specs of itspec.toml's `specs` setting "
        "(the nearest itspec.toml), else of the current folder",
    )
    group.addoption(
        "--itspec-bin",
        metavar="PATH",
        default=None,
        help="the itspec binary (default: $ITSPEC_BIN, else the one installed "
        "with this package, else `itspec` on PATH)",
    )
    group.addoption(
        "--itspec-arg",
        metavar="ARG",
        action="append",
        default=[],
        dest="itspec_args",
        help="pass ARG to `itspec run` (repeatable), e.g. --itspec-arg=--set=vars.x=1",
    )
    parser.addini(
        "itspec_args",
        type="args",
        default=[],
        help="arguments for `itspec run`, before those of --itspec-arg",
    )


# ---------------------------------------------------------------------------
# Session state


class _Plugin:
    """What the plugin knows in one pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.cwd = Path(config.invocation_params.dir)
        self._bin: str | None = None
        self.runs: dict[str, _Run] = {}
        self.items: list[ItspecItem] = []
        self.reserved_markers: set[str] | None = None
        self.tag_markers: set[str] = set()
        self.xdist_worker = hasattr(config, "workerinput")

    # The binary and its arguments --------------------------------------

    def binary(self) -> str:
        if self._bin is None:
            found = find_itspec_bin(self.config.getoption("itspec_bin"))
            if found is None:
                raise _ItspecError(
                    "itspec: cannot find the itspec binary: install the itspec wheel "
                    "(pip install itspec) beside pytest, put `itspec` on PATH, or pass "
                    "--itspec-bin PATH (or set ITSPEC_BIN)"
                )
            self._bin = found
        return self._bin

    def run_args(self) -> list[str]:
        return [*self.config.getini("itspec_args"), *self.config.getoption("itspec_args")]

    def global_args(self) -> list[str]:
        """The options of `run_args` every command takes (`--config`)."""
        out: list[str] = []
        args = self.run_args()
        for i, arg in enumerate(args):
            if arg.startswith("--config="):
                out.append(arg)
            elif arg == "--config" and i + 1 < len(args):
                out += [arg, args[i + 1]]
        return out

    def itspec(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [self.binary(), *args]
        try:
            return subprocess.run(
                command,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as error:
            raise _ItspecError(f"itspec: cannot run {command[0]}: {error}") from None

    def list_specs(self, paths: list[str]) -> list[dict[str, Any]]:
        done = self.itspec(*self.global_args(), "list", "--format", "json", *paths)
        if done.returncode != 0:
            raise _ItspecError(
                f"`itspec list` failed (exit {done.returncode}):\n{done.stderr.rstrip()}"
            )
        try:
            return json.loads(done.stdout)
        except ValueError as error:
            raise _ItspecError(f"`itspec list --format json` printed no JSON: {error}") from None

    def display(self, path: Path) -> str:
        """A path as itspec is given it: relative to pytest's invocation
        folder when below it."""
        try:
            return os.path.relpath(path, self.cwd)
        except ValueError:  # another drive
            return str(path)

    # Markers --------------------------------------------------------------

    def marker_for_tag(self, tag: str) -> str | None:
        if self.reserved_markers is None:
            self.reserved_markers = {
                line.split(":")[0].split("(")[0].strip() for line in self.config.getini("markers")
            }
        if not _MARKER_NAME.match(tag):
            return None
        if tag in self.reserved_markers and tag not in self.tag_markers:
            return None
        if tag not in self.tag_markers:
            self.tag_markers.add(tag)
            self.config.addinivalue_line("markers", f"{tag}: itspec tag `{tag}`")
        return tag

    # Runs -----------------------------------------------------------------

    def group_of(self, item: ItspecItem) -> str:
        """Items of specs under different itspec.toml files run in runs of
        their own (one each); with --config, all in one."""
        if self.global_args() or os.environ.get("ITSPEC_CONFIG"):
            return ""
        for folder in [item.path.parent, *item.path.parent.parents]:
            if (folder / "itspec.toml").is_file():
                return str(folder)
        return ""

    def prepare(self, items: list[pytest.Item]) -> None:
        """After collection: which cases each run will run."""
        self.items = [i for i in items if isinstance(i, ItspecItem)]
        groups: dict[str, list[ItspecItem]] = {}
        for item in self.items:
            if item.not_run_reason() is None:
                groups.setdefault(self.group_of(item), []).append(item)
        self.runs = {}
        for key, members in groups.items():
            run = _Run(self, members)
            for member in members:
                member.run = run
            self.runs[key] = run

    def fail_fast(self) -> list[str]:
        """`-x` becomes itspec's --fail-fast when the binary has it."""
        if self.config.getoption("maxfail", 0) != 1:
            return []
        done = self.itspec("run", "--help")
        return ["--fail-fast"] if "--fail-fast" in done.stdout else []


class _ItspecError(Exception):
    """itspec could not be found or run, or `itspec list` failed."""


def _plugin(config: pytest.Config) -> _Plugin:
    return config.stash[_KEY]


_KEY = pytest.StashKey[_Plugin]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "itspec: a case of an itspec spec (collected from its Markdown)"
    )
    plugin = _Plugin(config)
    config.stash[_KEY] = plugin
    if config.getoption("itspec") and config.args_source != pytest.Config.ArgsSource.ARGS:
        try:
            specs = plugin.list_specs([])
        except _ItspecError as error:
            raise pytest.UsageError(f"itspec: --itspec found no specs: {error}") from None
        config.args = [str(plugin.cwd / spec["file"]) for spec in specs]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() != ".md" or not looks_like_spec(file_path):
        return None
    return SpecFile.from_parent(parent, path=file_path)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    _plugin(session.config).prepare(session.items)


# ---------------------------------------------------------------------------
# Collection


class SpecFile(pytest.File):
    """A spec: its cases, as `itspec list --format json` reads them."""

    def collect(self) -> Iterator[ItspecItem]:
        plugin = _plugin(self.config)
        try:
            specs = plugin.list_specs([plugin.display(self.path)])
        except _ItspecError as error:
            raise self.CollectError(str(error)) from None
        for spec in specs:
            for case in spec.get("cases", []):
                yield ItspecItem.from_parent(self, name=case["id"], case=case, spec=spec)


class ItspecItem(pytest.Item):
    """One case of a spec."""

    def __init__(self, *, case: dict[str, Any], spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.spec = spec
        self.run: _Run | None = None
        self.event: dict[str, Any] | None = None
        plugin = _plugin(self.config)
        self.add_marker("itspec")
        for tag in case.get("tags") or []:
            self.extra_keyword_matches.add(tag)
            marker = plugin.marker_for_tag(tag)
            if marker is not None:
                self.add_marker(marker)
        # `-k reserve` matches the case's name, as `itspec run --filter` does.
        if case.get("name"):
            self.extra_keyword_matches.add(case["name"])
        reason = self.not_run_reason()
        if reason is not None:
            self.add_marker(pytest.mark.skip(reason=reason))

    @property
    def line(self) -> int:
        return int(self.case.get("line") or 1)

    @property
    def key(self) -> tuple[str, str]:
        return (os.path.realpath(self.path), self.name)

    def selector(self) -> str:
        shown = _plugin(self.config).display(self.path)
        if shown.startswith("-"):
            shown = os.path.join(".", shown)
        return f"{shown}::{self.name}"

    def location_text(self) -> str:
        return f"{_plugin(self.config).display(self.path)}:{self.line}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, f"{self.name}: {self.case.get('name', '')}"

    def not_run_reason(self) -> str | None:
        """Why the plugin skips the case without asking itspec."""
        plugin = _plugin(self.config)
        if plugin.xdist_worker:
            return None
        status = (self.spec.get("status") or "").lower()
        if status == "draft" and "--include-drafts" not in plugin.run_args():
            return (
                "Draft spec: itspec runs Ready and Implemented specs "
                "(--itspec-arg=--include-drafts runs Drafts)"
            )
        return None

    def setup(self) -> None:
        plugin = _plugin(self.config)
        if plugin.xdist_worker:
            pytest.fail(
                "itspec cases do not run under pytest-xdist (-n): each worker would start "
                "the service against the same database. Run them without -n (-p no:xdist "
                "or -n 0); itspec's own workers run them in parallel: "
                "--itspec-arg=--jobs=4",
                pytrace=False,
            )
        if self.run is None:
            # Not among the items collection finished with: run it alone.
            self.run = _Run(plugin, [self])
        event = self.run.result(self)
        if event is None:
            # The case could not be checked: an error, as when a fixture fails.
            missing = self.run.missing(self)
            if missing[0] == "skip":
                _skip(missing[1])
            pytest.fail(missing[1], pytrace=False)
        self.event = event
        for check in event.get("unverified") or []:
            self.user_properties.append(
                ("itspec_unverified", f"{self._at(check.get('line'))} {check.get('text', '')}")
            )
        outcome = event.get("outcome")
        self.user_properties.append(("itspec_outcome", str(outcome)))
        if outcome == "skipped":
            _skip(event.get("skip_reason") or "skipped by itspec")
        if outcome == "error":
            pytest.fail(
                f"{textwrap.dedent(event.get('text') or '').rstrip()}\n\n"
                f"{self.location_text()}: ERROR: {self.name} could not be checked",
                pytrace=False,
            )

    def _at(self, line: Any) -> str:
        return f"{_plugin(self.config).display(self.path)}:{line}"

    def runtest(self) -> None:
        event = self.event
        assert event is not None
        shown = _plugin(self.config).display(self.path)
        for kind, category, label in (
            ("unverified", ItspecUnverified, "not checked (prose)"),
            ("warnings", ItspecWarning, "warning"),
        ):
            for check in event.get(kind) or []:
                warnings.warn_explicit(
                    category(f"{self.name}: {label}: {check.get('text', '')}"),
                    category,
                    filename=shown,
                    lineno=int(check.get("line") or self.line),
                    module="itspec",
                    registry={},
                )
        outcome = event.get("outcome")
        if outcome == "passed":
            return
        text = textwrap.dedent(event.get("text") or f"{self.name}: {outcome}")
        if outcome == "failed":
            raise ItspecCaseFailed(f"{text.rstrip()}\n\n{self.location_text()}: {self.name} failed")
        if outcome == "flaky":
            # Failed, then passed on a retry (itspec --retries): not a pass.
            raise ItspecCaseFailed(
                f"{text.rstrip()}\n\n{self.location_text()}: {self.name} is flaky"
            )
        raise ItspecCaseFailed(
            f"{text.rstrip()}\n\n{self.location_text()}: {self.name}: "
            f"unknown outcome {outcome!r} from itspec"
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):  # type: ignore[override]
        if isinstance(excinfo.value, ItspecCaseFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)


def _skip(reason: str) -> None:
    """pytest.skip, reported at the case's line (as a skip marker is), not
    at this file's."""
    try:
        exception = pytest.skip.Exception(reason, _use_item_location=True)  # type: ignore[call-arg]
    except TypeError:  # pragma: no cover - a pytest without the option
        pytest.skip(reason)
    raise exception


# ---------------------------------------------------------------------------
# The itspec process


class _Run:
    """One `itspec run --format jsonl` for a group of items: started at the
    first item's setup, read by a thread of its own (so its pipes never
    fill), its events kept until their item asks."""

    def __init__(self, plugin: _Plugin, items: list[ItspecItem]) -> None:
        self.plugin = plugin
        self.items = items
        self.command: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_error: str | None = None
        self.lock = threading.Condition()
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.started: dict[str, Any] | None = None
        self.finished: dict[str, Any] | None = None
        self.notices: list[str] = []
        self.stderr: list[str] = []
        # What itspec says once the run has started (warnings, the restore)
        # is shown at the end, in the itspec section.
        self.late_stderr: list[str] = []
        self.bad_lines: list[str] = []
        self.live: list[str] = []
        self.ended = False
        self.returncode: int | None = None
        self.fail_fast = False
        self.t0 = 0.0
        self.t1 = 0.0
        self.threads: list[threading.Thread] = []

    # Starting and reading ---------------------------------------------------

    def start(self) -> None:
        plugin = self.plugin
        # Runs of other itspec.toml files go one after the other: two
        # might share a database or a port.
        for other in plugin.runs.values():
            if other is not self and other.proc is not None:
                other.wait_ended()
        try:
            extra = plugin.fail_fast()
            self.command = [
                plugin.binary(),
                "run",
                "--format",
                "jsonl",
                *extra,
                *plugin.run_args(),
                *[item.selector() for item in self.items],
            ]
        except _ItspecError as error:
            self.start_error = str(error)
            self.ended = True
            return
        self.fail_fast = bool(extra)
        self.t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.command,
                cwd=plugin.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            self.start_error = f"itspec: cannot start {self.command[0]}: {error}"
            self.ended = True
            return
        out = threading.Thread(target=self._read_stdout, name="itspec-stdout", daemon=True)
        err = threading.Thread(target=self._read_stderr, name="itspec-stderr", daemon=True)
        self.threads = [out, err]
        err.start()
        out.start()

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.stderr.append(line)
                if self.started is None:
                    self.live.append(line)
                else:
                    self.late_stderr.append(line)
                self.lock.notify_all()

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            with self.lock:
                if not isinstance(event, dict):
                    self.bad_lines.append(line)
                    continue
                kind = event.get("event")
                if kind == "case-finished":
                    key = (os.path.realpath(str(event.get("file", ""))), str(event.get("id", "")))
                    self.events[key] = event
                elif kind == "run-started":
                    self.started = event
                elif kind == "run-finished":
                    self.finished = event
                elif kind == "notice":
                    message = str(event.get("message", ""))
                    self.notices.append(message)
                    self.live.append(message)
                self.lock.notify_all()
        self.proc.wait()
        self.threads[1].join()
        with self.lock:
            self.returncode = self.proc.returncode
            self.t1 = time.monotonic()
            self.ended = True
            self.lock.notify_all()

    def result(self, item: ItspecItem) -> dict[str, Any] | None:
        """The item's case-finished event, waiting for it; None when the
        run ended without one."""
        if self.proc is None and not self.ended:
            self.start()
        while True:
            with self.lock:
                if item.key not in self.events and not self.ended and not self.live:
                    self.lock.wait(timeout=0.5)
                live, self.live = self.live, []
                event = self.events.get(item.key)
                ended = self.ended
            self._show(live)
            if event is not None:
                return event
            if ended:
                return None

    def wait_ended(self) -> None:
        while True:
            with self.lock:
                if not self.ended and not self.live:
                    self.lock.wait(timeout=0.5)
                live, self.live = self.live, []
                ended = self.ended
            self._show(live)
            if ended:
                return

    def _show(self, lines: list[str]) -> None:
        """itspec's notices and what it says before the run starts (the
        service building, starting), on the terminal as they come."""
        if not lines or self.plugin.config.getoption("verbose") < 0:
            return
        reporter = self.plugin.config.pluginmanager.getplugin("terminalreporter")
        capture = self.plugin.config.pluginmanager.getplugin("capturemanager")
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            for line in lines:
                reporter.write_line(f"itspec: {line}")

    # When an item has no event ---------------------------------------------

    def missing(self, item: ItspecItem) -> tuple[str, str]:
        """("skip", reason) or ("error", message) for an item whose case
        did not come back."""
        if self.start_error:
            return ("error", self.start_error)
        finished = self.finished or {}
        outcome = finished.get("outcome")
        failed = [e for e in self.events.values() if e.get("outcome") in ("failed", "error")]
        if self.fail_fast and failed and outcome not in ("environment_failed", "interrupted"):
            first = failed[0]
            return (
                "skip",
                f"not run: itspec stopped at the first failure (-x): "
                f"{first.get('path')}::{first.get('id')}",
            )
        if outcome == "environment_failed":
            head = f"itspec could not start the environment: {finished.get('message') or ''}"
        elif outcome == "interrupted":
            head = f"itspec was interrupted before this case ran: {finished.get('message') or ''}"
        elif outcome is not None:
            head = (
                "itspec finished its run without a result for this case (an option given "
                "with --itspec-arg may have filtered it out; select cases with -k or -m)"
            )
        else:
            head = "itspec stopped before this case ran"
        return ("error", self.describe(head.rstrip(": ")))

    def describe(self, head: str) -> str:
        lines = [head, "", f"command: {shlex.join(self.command)}"]
        if self.returncode is not None:
            lines.append(f"exit code: {self.returncode}")
        if self.bad_lines:
            lines.append("lines that were not JSON events:")
            lines += [f"  {line}" for line in self.bad_lines[-10:]]
        if self.stderr:
            shown = self.stderr[-STDERR_LINES:]
            cut = len(self.stderr) - len(shown)
            lines.append("standard error" + (f" (last {len(shown)} lines):" if cut else ":"))
            lines += [f"  {line}" for line in shown]
        return "\n".join(lines)

    # Stopping ---------------------------------------------------------------

    def stop(self, interrupted: bool) -> None:
        """Waits for itspec to finish (it stops the service and puts the
        database back); if pytest stopped early, asks it to stop with SIGINT
        first. SIGTERM and SIGKILL come only after generous timeouts."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            if all(item.key in self.events for item in self.items):
                # Every case is done: itspec is stopping the service.
                self._wait(STOP_TIMEOUT_S)
            elif interrupted:
                # A Ctrl-C on the terminal reached itspec too, and a second
                # SIGINT could cut its restore short: give it time to stop
                # by itself. (A SIGINT sent to pytest alone did not reach
                # it: then it is asked below.)
                self._wait(INTERRUPTED_GRACE_S)
            if proc.poll() is None:
                _signal(proc, signal.SIGINT)
                if not self._wait(STOP_TIMEOUT_S):
                    proc.terminate()
                    if not self._wait(TERMINATE_TIMEOUT_S):
                        proc.kill()
                        self._wait(TERMINATE_TIMEOUT_S)
        for thread in self.threads:
            thread.join(timeout=TERMINATE_TIMEOUT_S)

    def _wait(self, timeout: float) -> bool:
        """Waits for itspec to end. A Ctrl-C meanwhile (which reaches itspec
        too) does not stop the wait at once: pytest leaving would close
        itspec's output while it puts the database back. A second one does."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        warned = False
        while True:
            try:
                self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                return True
            except subprocess.TimeoutExpired:
                return False
            except KeyboardInterrupt:
                if warned:
                    raise
                warned = True
                self._show(
                    [
                        "still stopping the service and putting the database back "
                        f"(pid {self.proc.pid}); Ctrl-C again leaves it to finish alone"
                    ]
                )


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    if os.name != "posix":  # pragma: no cover - Windows has no SIGINT to send
        proc.terminate()
        return
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    plugin = session.config.stash.get(_KEY, None)
    if plugin is None:
        return
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    for run in plugin.runs.values():
        run.stop(interrupted)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    plugin = config.stash.get(_KEY, None)
    if plugin is None:
        return
    runs = [run for run in plugin.runs.values() if run.proc is not None or run.start_error]
    if not runs:
        return
    terminalreporter.write_sep("-", "itspec")
    verbose = config.getoption("verbose") > 0
    for run in runs:
        if verbose:
            terminalreporter.write_line(f"ran: {shlex.join(run.command)}")
        summary = (run.finished or {}).get("summary") or {}
        parts = [f"{summary.get(k, 0)} {k}" for k in ("passed", "failed", "errors", "skipped")]
        parts.append(f"{summary.get('unverified', 0)} unverified")
        if summary.get("flaky"):
            parts.append(f"{summary['flaky']} flaky")
        if summary.get("warnings"):
            parts.append(f"{summary['warnings']} warnings")
        outcome = (run.finished or {}).get("outcome", "no run-finished event")
        took = f", {run.t1 - run.t0:.1f} s" if run.t1 else ""
        terminalreporter.write_line(
            f"itspec run: {', '.join(parts)} ({outcome}, exit {run.returncode}{took})"
        )
        if run.finished and run.finished.get("message"):
            terminalreporter.write_line(f"  {run.finished['message']}")
        for line in run.late_stderr[-STDERR_LINES:]:
            terminalreporter.write_line(f"  {line}")
        for event in run.events.values():
            for kind, label in (("unverified", "unverified"), ("warnings", "warning")):
                for check in event.get(kind) or []:
                    terminalreporter.write_line(
                        f"  {label} {event.get('path')}:{check.get('line')}  "
                        f"{check.get('text', '')}  ({event.get('id')})"
                    )
