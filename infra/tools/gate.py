"""The infra/ policy-as-code gate: every .tf parses, checkov passes, and the custom checks bite.

Run through infra/gate.sh (``bash infra/gate.sh .venv``). Three steps, all offline:

1. every ``.tf`` under infra/ parses with python-hcl2;
2. checkov scans infra/ with the built-in AWS checks plus the custom checks of infra/checks:
   zero failed checks, zero parsing errors, every skip justified inline, no custom check
   skipped, and every custom check passing somewhere (so it loaded and matched a resource);
3. negative self-test: the custom checks run over infra/checks/testdata/bad and must fail
   exactly the resources listed in its expected.json, and pass the listed near misses.

Exit status 0 only when all three hold; the last line is a one-line summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import hcl2

# checkov runs with a clean environment: only these variables are passed on, plus
# OFFLINE_ENVIRONMENT. Everything else is dropped, above all CKV_CHECK / CKV_SKIP_CHECK /
# CKV_FRAMEWORK and the other CKV_* / CHECKOV_* switches that select or soften checks, the
# BC_* / PRISMA_* platform variables, and PYTHONPATH and the like.
PASSED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
# checkov also reads .checkov.yaml/.yml from the scanned directory, the working directory and
# $HOME (on top of any --config-file): it runs in an empty temporary directory that is also its
# HOME, with an explicit empty --config-file, and a config file in a scanned directory fails
# the gate.
CONFIG_FILE_NAMES = (".checkov.yaml", ".checkov.yml")
OFFLINE_ENVIRONMENT = {
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_PARSE_ERROR_FAIL": "true",
    "CHECKOV_CREATE_SCA_IMAGE_REPORTS_FOR_IR": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONDONTWRITEBYTECODE": "1",
}
CHECK_ID_PATTERNS = (
    re.compile(r'\bid="(CKV_AUTHZ_\d+)"'),
    re.compile(r'^\s*id:\s*"?(CKV2_AUTHZ_\d+)"?', re.M),
)


class GateError(Exception):
    """The gate failed; the message says why."""


def parse_all(infra: Path) -> int:
    """Parses every .tf file with python-hcl2; returns how many there are."""
    files = sorted(p for p in infra.rglob("*.tf") if ".terraform" not in p.parts)
    problems = []
    for path in files:
        try:
            with path.open(encoding="utf-8") as handle:
                hcl2.load(handle)
        except Exception as error:  # python-hcl2 raises several unrelated types
            problems.append(f"  {path.relative_to(infra.parent)}: {str(error).splitlines()[0]}")
    if not files:
        raise GateError("no .tf file found under infra/")
    if problems:
        raise GateError("python-hcl2 cannot parse:\n" + "\n".join(problems))
    return len(files)


def custom_check_ids(checks_dir: Path) -> list[str]:
    ids: set[str] = set()
    for path in checks_dir.iterdir():
        if path.suffix in (".py", ".yaml", ".yml") and path.is_file():
            text = path.read_text(encoding="utf-8")
            for pattern in CHECK_ID_PATTERNS:
                ids.update(pattern.findall(text))
    if not ids:
        raise GateError(f"no custom check found in {checks_dir}")
    return sorted(ids)


def refuse_config_files(*directories: Path) -> None:
    """checkov would apply a .checkov.yaml of a scanned directory (skip-check, soft-fail...)."""
    found = [str(d / name) for d in directories for name in CONFIG_FILE_NAMES if (d / name).exists()]
    if found:
        raise GateError("checkov config file(s) in a scanned directory, which would change what is checked: " + ", ".join(found))


def start_checkov(checkov: str, args: list[str], workdir: Path) -> tuple[subprocess.Popen[bytes], Any, Any]:
    """Starts checkov in ``workdir`` (empty, also its HOME) with a clean environment."""
    env = {k: v for k, v in os.environ.items() if k in PASSED_VARIABLES}
    env.update(OFFLINE_ENVIRONMENT)
    env["HOME"] = str(workdir)
    config = workdir / "empty-checkov-config.yaml"
    config.write_text("{}\n", encoding="utf-8")
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    command = [
        checkov, "--config-file", str(config),
        "--framework", "terraform", "--skip-download", "--compact", "--output", "json", *args,
    ]
    process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=workdir)
    return process, out, err


def finish_checkov(started: tuple[subprocess.Popen[bytes], Any, Any], what: str) -> dict[str, Any]:
    process, out, err = started
    process.wait()
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    stderr = err.read().decode("utf-8", "replace")
    try:
        report = json.loads(stdout)
    except ValueError:
        tail = "\n".join((stderr or stdout).strip().splitlines()[-15:])
        raise GateError(f"checkov ({what}) exited {process.returncode} without a JSON report:\n{tail}") from None
    if isinstance(report, list):  # one report per framework
        if len(report) != 1:
            raise GateError(f"checkov ({what}) returned {len(report)} reports, expected one")
        report = report[0]
    if not isinstance(report, dict) or "results" not in report:
        # checkov prints a bare summary when nothing was scanned
        raise GateError(f"checkov ({what}) scanned nothing: {str(report)[:200]}")
    return report


def results(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(report["results"].get(kind) or [])


def check_main_scan(report: dict[str, Any], custom_ids: list[str]) -> tuple[int, int]:
    summary = report["summary"]
    problems = []
    if summary.get("parsing_errors", 0):
        problems.append(f"{summary['parsing_errors']} file(s) checkov could not parse: {report['results'].get('parsing_errors')}")
    if summary.get("resource_count", 0) == 0:
        problems.append("checkov found no resource to scan")
    for failed in results(report, "failed_checks"):
        lines = failed.get("file_line_range") or ["?", "?"]
        problems.append(
            f"FAILED {failed['check_id']} {failed['resource']} ({failed['file_path']}:{lines[0]}-{lines[1]}): "
            f"{failed.get('check_name', '')}"
        )
    for skipped in results(report, "skipped_checks"):
        reason = (skipped.get("check_result") or {}).get("suppress_comment") or ""
        if skipped["check_id"] in custom_ids:
            problems.append(f"custom check {skipped['check_id']} skipped on {skipped['resource']}: our invariants are never skipped")
        elif not reason.strip() or reason.strip() == "No comment provided":
            problems.append(f"skip of {skipped['check_id']} on {skipped['resource']} has no justification")
    passed_ids = {p["check_id"] for p in results(report, "passed_checks")}
    for check_id in custom_ids:
        if check_id not in passed_ids:
            problems.append(f"custom check {check_id} passed nothing in infra/: not loaded, or matching no resource")
    if problems:
        unique = list(dict.fromkeys(problems))  # a module used by two stacks reports twice
        raise GateError("checkov over infra/:\n  " + "\n  ".join(unique))
    return len(results(report, "passed_checks")), len(results(report, "skipped_checks"))


def check_self_test(report: dict[str, Any], expected_path: Path, custom_ids: list[str]) -> int:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    must_fail: dict[str, list[str]] = expected["must_fail"]
    must_pass: dict[str, list[str]] = expected["must_pass"]
    failed: dict[str, set[str]] = {}
    for item in results(report, "failed_checks"):
        failed.setdefault(item["check_id"], set()).add(item["resource"])
    passed: dict[str, set[str]] = {}
    for item in results(report, "passed_checks"):
        passed.setdefault(item["check_id"], set()).add(item["resource"])

    problems = []
    for check_id in custom_ids:
        if not must_fail.get(check_id):
            problems.append(f"{check_id} has no deliberately bad resource in {expected_path.name}: it is not proven to fire")
    for check_id in sorted(set(must_fail) | set(failed)):
        want, got = set(must_fail.get(check_id, [])), failed.get(check_id, set())
        for resource in sorted(want - got):
            problems.append(f"{check_id} did not fail {resource}")
        for resource in sorted(got - want):
            problems.append(f"{check_id} failed {resource}, which expected.json does not list")
    for check_id, resources in sorted(must_pass.items()):
        for resource in sorted(set(resources) - passed.get(check_id, set())):
            problems.append(f"{check_id} did not pass the near miss {resource}")
    if problems:
        raise GateError("negative self-test of the custom checks:\n  " + "\n  ".join(problems))
    return sum(len(v) for v in must_fail.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", required=True, help="path of the checkov executable")
    parser.add_argument("--infra", required=True, type=Path, help="the infra/ directory")
    args = parser.parse_args()

    infra: Path = args.infra.resolve()
    checks = infra / "checks"
    bad = checks / "testdata" / "bad"
    try:
        tf_files = parse_all(infra)
        custom_ids = custom_check_ids(checks)
        refuse_config_files(infra, bad)
        # Both scans run at once; each takes a few seconds.
        with tempfile.TemporaryDirectory(prefix="infra-gate-") as main_dir, \
                tempfile.TemporaryDirectory(prefix="infra-gate-") as bad_dir:
            main_scan = start_checkov(args.checkov, [
                "--directory", str(infra),
                "--external-checks-dir", str(checks),
                "--skip-path", "checks/testdata",
            ], Path(main_dir))
            self_test = start_checkov(args.checkov, [
                "--directory", str(bad),
                "--external-checks-dir", str(checks),
                "--check", ",".join(custom_ids),
            ], Path(bad_dir))
            for process, _, _ in (main_scan, self_test):
                process.wait()  # both, before either report is read
            main_report = finish_checkov(main_scan, "infra/")
            bad_report = finish_checkov(self_test, "self-test")
        passed, skipped = check_main_scan(main_report, custom_ids)
        caught = check_self_test(bad_report, bad / "expected.json", custom_ids)
    except GateError as error:
        print(f"infra gate: {error}", file=sys.stderr)
        print("infra gate: FAILED", file=sys.stderr)
        return 1

    print(
        f"infra gate: {passed} passed, 0 failed, {skipped} skipped with inline justification "
        f"({tf_files} .tf files parsed; {len(custom_ids)} custom checks caught all {caught} planted violations)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
