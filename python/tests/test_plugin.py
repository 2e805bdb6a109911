"""The pytest plugin, run by real pytest against the real shop example."""

from __future__ import annotations

import os
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from conftest import Shop


def ran_selectors(run: list[str]) -> list[str]:
    return [arg for arg in run if "::" in arg]


def test_collects_every_case_with_its_line(shop: Shop) -> None:
    (shop.root / "README.md").write_text("# The shop\n\nNot a spec.\n")
    (shop.root / "specs" / "notes.md").write_text(
        "Notes.\n\n```\n# Integration Test Spec: only in a fence\n```\n\n# Notes\n"
    )
    cases = shop.cases()
    assert len(cases) > 10

    result = shop.pytest("--collect-only", "-q", "specs")
    collected = [line for line in result.outlines if "::" in line]
    assert collected == [case.nodeid for case in cases]
    assert shop.runs() == [], "collecting must not run anything"

    # reportinfo: each item points at its case's heading.
    items, _ = shop.pytester.inline_genitems(f"--itspec-bin={shop.bin}", "specs")
    assert [item.location for item in items] == [
        (case.file, case.line - 1, f"{case.id}: {case.name}") for case in cases
    ]
    # Tags are markers: `-m smoke` picks the smoke cases.
    smoke = [case.nodeid for case in cases if "smoke" in case.tags]
    assert smoke
    result = shop.pytest("--collect-only", "-q", "-m", "smoke", "specs")
    assert [line for line in result.outlines if "::" in line] == smoke
    # Every item carries the `itspec` marker, so a team can leave them out.
    result = shop.pytest("--collect-only", "-q", "-m", "not itspec", "specs")
    assert not [line for line in result.outlines if "::" in line]


def test_k_runs_the_matching_cases_in_one_itspec_run(shop: Shop) -> None:
    cases = shop.cases()
    chosen = [c for c in cases if "reserve" in c.name.lower() and not c.draft]
    assert len(chosen) >= 2

    result = shop.pytest("specs", "-k", "reserve", "-v")
    result.assert_outcomes(passed=len(chosen), deselected=len(cases) - len(chosen))
    for case in chosen:
        result.stdout.fnmatch_lines([f"{case.nodeid} PASSED*"])
    # One itspec process, so one service start, given exactly those cases.
    runs = shop.runs()
    assert len(runs) == 1, runs
    assert runs[0][:3] == ["run", "--format", "jsonl"]
    assert ran_selectors(runs[0]) == [case.nodeid for case in chosen]
    result.stdout.fnmatch_lines(
        [f"itspec run: {len(chosen)} passed, 0 failed, *(completed, exit 0*"]
    )


def test_the_whole_shop_passes_with_skips_reported(shop: Shop) -> None:
    cases = shop.cases()
    skipped = [c for c in cases if c.skip or c.draft]
    assert any(c.skip for c in cases) and any(c.draft for c in cases)

    result = shop.pytest("specs", "-rs")
    result.assert_outcomes(passed=len(cases) - len(skipped), skipped=len(skipped))
    result.stdout.fnmatch_lines(
        [
            "*SKIPPED*specs/catalog.md*Draft spec*",
            "*SKIPPED*specs/customers.md*the shop answers 401 without a body*",
        ]
    )
    runs = shop.runs()
    assert len(runs) == 1
    # The Draft's case is not asked for; the skipped one is (itspec skips it).
    assert ran_selectors(runs[0]) == [c.nodeid for c in cases if not c.draft]


def test_a_failing_case_shows_the_evidence_and_lf_reruns_only_it(shop: Shop) -> None:
    shop.edit(
        "inventory.md",
        "**Request:** GET /inventory/NOPE\n\n**Expected:**\n- Status: 404",
        "**Request:** GET /inventory/NOPE\n\n**Expected:**\n- Status: 200",
    )
    failing = next(
        c for c in shop.cases() if c.file == "specs/inventory.md" and c.id == "TC-INT-004"
    )
    others = [c for c in shop.cases() if c.file == "specs/inventory.md" and c.id != failing.id]
    status_line = next(
        n
        for n, line in enumerate((shop.root / "specs/inventory.md").read_text().splitlines(), 1)
        if n > failing.line and line == "- Status: 200"
    )

    result = shop.pytest("specs/inventory.md", "--junitxml=junit.xml")
    result.assert_outcomes(passed=len(others), failed=1)
    output = result.stdout.str()
    # itspec's evidence, at the spec's line, not a Python traceback.
    result.stdout.fnmatch_lines(
        [
            f"*_ {failing.id}: {failing.name} _*",
            f"*FAIL*{failing.id}*",
            f"*--> specs/inventory.md:{status_line}:*",
            "*404*",
            f"specs/inventory.md:{failing.line}: {failing.id} failed",
            f"FAILED {failing.nodeid}*",
        ]
    )
    assert "Traceback" not in output and "pytest_plugin.py" not in output

    # JUnit: a test per case, the failure with the evidence.
    suite = ET.parse(shop.root / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    testcases = suite.findall("testcase")
    assert sorted(t.get("name") for t in testcases) == sorted(c.id for c in [failing, *others])
    failures = [t for t in testcases if t.find("failure") is not None]
    assert [t.get("name") for t in failures] == [failing.id]
    evidence = failures[0].find("failure")
    assert evidence is not None and "404" in (evidence.text or "")

    # --lf: only the failed case runs, in an itspec run of its own.
    result = shop.pytest("--lf", "specs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*"])
    assert ran_selectors(shop.runs()[-1]) == [failing.nodeid]

    # --ff: the failed case first, then the rest.
    result = shop.pytest("--ff", "-v", "specs/inventory.md")
    result.assert_outcomes(passed=len(others), failed=1)
    ran = [
        line.split()[0] for line in result.outlines if line.startswith("specs/") and "::" in line
    ]
    assert ran[0] == failing.nodeid
    assert ran_selectors(shop.runs()[-1])[0] == failing.nodeid

    # Fixed, the rerun passes.
    shop.edit(
        "inventory.md",
        "- Status: 200\n- Error code: SKU_NOT_FOUND",
        "- Status: 404\n- Error code: SKU_NOT_FOUND",
    )
    result = shop.pytest("--lf", "specs")
    result.assert_outcomes(passed=1)
    assert ran_selectors(shop.runs()[-1]) == [failing.nodeid]


def test_x_stops_at_the_first_failure(shop: Shop) -> None:
    shop.edit(
        "customers.md",
        "- Status: 401\n- Error code: INVALID_CREDENTIALS",
        "- Status: 418\n- Error code: INVALID_CREDENTIALS",
    )
    result = shop.pytest("-x", "specs")
    result.assert_outcomes(failed=1, passed=1, skipped=1)  # catalog's Draft, customers 001, 002
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])
    runs = shop.runs()
    assert len(runs) == 1 and "--fail-fast" in runs[0]
    # itspec is not left running: it stopped the service and put the database back.
    for pid in shop.pids():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_unverified_checks_are_warnings_and_listed(shop: Shop) -> None:
    shop.edit(
        "inventory.md",
        "- body.discontinued not exists\n",
        "- body.discontinued not exists\n- the stock reads like a ledger\n",
    )
    prose_line = next(
        n
        for n, line in enumerate((shop.root / "specs/inventory.md").read_text().splitlines(), 1)
        if line == "- the stock reads like a ledger"
    )
    result = shop.pytest("specs/inventory.md", "-k", "TC-INT-002")
    result.assert_outcomes(passed=1, deselected=5, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            "specs/inventory.md::TC-INT-002",
            f"*specs/inventory.md:{prose_line}: ItspecUnverified: TC-INT-002: not checked (prose): *the stock reads like a ledger*",
            "itspec run: 1 passed, 0 failed, 0 errors, 0 skipped, 1 unverified*",
            f"*unverified specs/inventory.md:{prose_line}  the stock reads like a ledger  (TC-INT-002)",
        ]
    )


def test_an_environment_that_does_not_start_errors_every_case(shop: Shop) -> None:
    config = shop.root / "itspec.toml"
    text = config.read_text()
    start = text.index("command = ")
    end = text.index("\n", start)
    config.write_text(
        text[:start]
        + "command = \"sh -c 'echo the shop refuses to start >&2; exit 7'\""
        + text[end:]
    )
    n = len([c for c in shop.cases() if c.file == "specs/inventory.md"])
    result = shop.pytest("specs/inventory.md")
    result.assert_outcomes(errors=n)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of TC-INT-001*",
            "itspec could not start the environment*",
            "command: *itspec run --format jsonl specs/inventory.md::TC-INT-001*",
            "exit code: 3",
        ]
    )
    assert len(shop.runs()) == 1


def test_inert_without_specs(pytester: pytest.Pytester) -> None:
    """A team's own tests: the plugin reads no spec and runs nothing."""
    marker = pytester.path / "itspec-ran"
    fake = pytester.path / "bin" / "itspec"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 9\n")
    fake.chmod(0o755)
    pytester.makepyfile(test_app="def test_ok():\n    assert True\n")
    pytester.path.joinpath("README.md").write_text("# My service\n")
    pytester.path.joinpath("docs").mkdir()
    pytester.path.joinpath("docs", "notes.md").write_text("Intro\n\n## Integration Test Spec: no\n")
    result = pytester.runpytest_subprocess(f"--itspec-bin={fake}")
    result.assert_outcomes(passed=1)
    assert not marker.exists()
    shown = [line for line in result.outlines if not line.startswith("plugins:")]
    assert not [line for line in shown if "itspec" in line]


def test_itspec_flag_collects_the_configured_specs(shop: Shop) -> None:
    shop.pytester.makepyfile(**{"tests/test_app": "def test_ok():\n    pass\n"})
    shop.pytester.makeini("[pytest]\ntestpaths = tests\n")
    result = shop.pytest("--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == ["tests/test_app.py::test_ok"]
    # Every folder of the shop's `specs` setting: channels/ and specs/.
    result = shop.pytest("--itspec", "--collect-only", "-q")
    configured = shop.cases(("channels", "specs"))
    assert [line for line in result.outlines if "::" in line] == [c.nodeid for c in configured]


def test_xdist_is_refused_clearly(shop: Shop) -> None:
    pytest.importorskip("xdist")
    shop.pytester.makepyfile(test_app="def test_ok():\n    pass\n")
    n = len([c for c in shop.cases() if c.file == "specs/inventory.md"])
    result = shop.pytest("-n", "2", "specs/inventory.md", "test_app.py")
    result.assert_outcomes(passed=1, errors=n)
    result.stdout.fnmatch_lines(["*itspec cases do not run under pytest-xdist (-n)*"])
    assert shop.runs() == []


FAKE = textwrap.dedent(
    """\
    #!{python}
    # itspec's jsonl stream for one failing case, then a run that goes on
    # until SIGINT (which it records, as itspec would restore the database).
    import json, os, signal, sys, time
    args = sys.argv[1:]
    if args[:1] == ["list"]:
        path = args[-1]
        print(json.dumps([{{"file": path, "status": "Ready", "cases": [
            {{"id": "TC-1", "name": "fails", "line": 3, "tags": [], "skip": None}},
            {{"id": "TC-2", "name": "slow", "line": 5, "tags": [], "skip": None}}]}}]))
        sys.exit(0)
    if "--help" in args:
        print("itspec run [PATHS]")  # no --fail-fast: pytest -x must stop it
        sys.exit(0)
    def stop(signum, frame):
        open({log!r}, "a").write("SIGINT\\n")
        print(json.dumps({{"event": "run-finished", "outcome": "interrupted", "message": "interrupted",
                          "summary": {{}}}}), flush=True)
        sys.exit(130)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({{"event": "run-started", "version": 1}}), flush=True)
    print(json.dumps({{"event": "case-finished", "file": os.path.abspath("spec.md"), "path": "spec.md",
                      "line": 3, "id": "TC-1", "name": "fails", "outcome": "failed", "unverified": [],
                      "text": "FAIL TC-1 fails\\n  expected 200, got 500"}}), flush=True)
    time.sleep(60)
    sys.exit(1)
    """
)


def test_an_early_stop_sends_sigint_and_waits(pytester: pytest.Pytester) -> None:
    """pytest -x stops while itspec still runs: the plugin asks it to stop
    with SIGINT (so it restores the database) and waits for it."""
    log = pytester.path / "signals.log"
    fake = pytester.path / "fake-itspec"
    fake.write_text(FAKE.format(python=sys.executable, log=str(log)))
    fake.chmod(0o755)
    pytester.path.joinpath("spec.md").write_text(
        "# Integration Test Spec: fake\n\n### TC-1: fails\n\n### TC-2: slow\n"
    )
    result = pytester.runpytest_subprocess(f"--itspec-bin={fake}", "-x", "spec.md", timeout=50)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected 200, got 500*", "*itspec run:*(interrupted, exit 130*"])
    assert log.read_text() == "SIGINT\n"


def test_itspec_args_reach_the_run(shop: Shop) -> None:
    """--itspec-arg passes options through: the racy stock update makes the
    race case fail, as `itspec run --set vars.stock_update=racy` does."""
    race = next(c for c in shop.cases() if "race" in c.name.lower())
    result = shop.pytest("specs", "-k", "race", "--itspec-arg=--set=vars.stock_update=racy")
    result.assert_outcomes(failed=1, deselected=len(shop.cases()) - 1)
    result.stdout.fnmatch_lines([f"FAILED {race.nodeid}*"])
    assert shop.runs()[-1][3:] == ["--set=vars.stock_update=racy", race.nodeid]


def test_specs_of_two_projects_run_one_after_the_other(shop: Shop) -> None:
    """Specs under two itspec.toml files: a run for each, one at a time."""
    other = shop.root / "other"
    (other / "specs").mkdir(parents=True)
    (other / "itspec.toml").write_text((shop.root / "itspec.toml").read_text())
    (other / "specs" / "inventory.md").write_text(
        (shop.root / "specs" / "inventory.md").read_text()
    )
    n = len([c for c in shop.cases() if c.file == "specs/inventory.md"])
    result = shop.pytest("specs/inventory.md", "other/specs/inventory.md")
    result.assert_outcomes(passed=2 * n)
    runs = shop.runs()
    assert len(runs) == 2
    assert {tuple(ran_selectors(r)[:1]) for r in runs} == {
        ("specs/inventory.md::TC-INT-001",),
        ("other/specs/inventory.md::TC-INT-001",),
    }


def test_ctrl_c_reaches_itspec_which_puts_the_database_back(shop: Shop) -> None:
    """Ctrl-C on the terminal (SIGINT to pytest's process group) mid-case:
    itspec stops the service and restores the database, the plugin waits
    for it, and the next run starts clean."""
    import signal
    import subprocess
    import time

    race = next(c for c in shop.cases() if "race" in c.name.lower())
    command = [
        sys.executable,
        "-m",
        "pytest",
        f"--itspec-bin={shop.bin}",
        race.nodeid,
        # Long enough to be running when Ctrl-C comes.
        "--itspec-arg=--repeat=5000",
    ]
    proc = subprocess.Popen(
        command,
        cwd=shop.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "itspec: starting the service" in line:
            break
    # Mid-case: the shop is up (it may take a while to start: `cargo run`
    # checks the build first), and the iterations are running.
    log = shop.root / "target" / "itspec" / "service.log"
    deadline = time.monotonic() + 300
    while not (log.exists() and "shop: listening on" in log.read_text(errors="replace")):
        assert time.monotonic() < deadline, "the shop did not start"
        assert proc.poll() is None, "pytest ended before the shop started"
        time.sleep(0.1)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    output = "".join(lines) + out
    assert proc.returncode == 2, output  # pytest: interrupted
    assert "KeyboardInterrupt" in output
    assert "(interrupted, exit 130" in output, output
    for pid in shop.pids():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # The database was put back: the next run finds nothing to restore and passes.
    result = shop.pytest("specs/reservations.md")
    result.assert_outcomes(
        passed=len([c for c in shop.cases() if c.file == "specs/reservations.md"])
    )
    assert "itspec restore" not in result.stdout.str()
