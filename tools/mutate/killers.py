"""killers.py: what a mutant must get past, in order; the first that fails kills it.

compile (a mutant that does not compile is stillborn), then lib's unit test binaries
(fastest first, each stopping at its first failed check), the fuzz corpus replay, then the
differential matrix against every live OpenSSL with --fail-fast.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import subprocess

from sandbox import run_logged

# lib's unit suites, fastest first (measured once: tenths of a second each).
UNIT_SUITES = ("key_schedule", "keylog", "profile", "alert", "record_framing", "hex",
               "record_protection", "dtls_record", "transport", "post_handshake", "endpoint")
PEERS = ("closenotify-peer", "closenotify-peer-1.1.1", "closenotify-peer-3.5")


@dataclasses.dataclass
class Verdict:
    status: str          # stillborn, killed, survived
    stage: str           # compile, unit, fuzz_corpus, matrix, or "" when survived
    killer: str          # the test case, matrix case or compiler error that killed it
    matrix_run: bool     # the matrix was part of the chain (not skipped by --no-matrix)


def targets_for(build: pathlib.Path, suites: tuple[str, ...], matrix: bool) -> list[str]:
    """The build outputs the chosen killers run, as ninja target paths (meson's introspection):
    only those, so a copy that judges against one suite builds little more than lib."""
    info = json.loads(subprocess.run(["meson", "introspect", "--targets", str(build)],
                                     check=True, capture_output=True, text=True).stdout)
    wanted = {"test_" + s for s in suites if s in UNIT_SUITES}
    if "fuzz_corpus" in suites:
        # Every fuzz target the commit has: test_corpus.sh runs its own list of them.
        wanted |= {"closenotify-seeds"} | {t["name"] for t in info if t["name"].startswith("fuzz_")}
    if matrix:
        wanted |= {"closenotify"} | set(PEERS)
    out = []
    for t in info:
        if t["name"] in wanted and t["type"] == "executable":
            out += [str(pathlib.Path(f).relative_to(build.resolve())) for f in t["filename"]]
    return sorted(out)


class Chain:
    def __init__(self, sandbox, targets: list[str], suites: tuple[str, ...], matrix_jobs: int, matrix: bool,
                 unit_timeout: float, matrix_timeout: float):
        self.sb = sandbox
        self.suites = suites
        self.targets = targets
        self.matrix_jobs = matrix_jobs
        self.matrix = matrix
        self.unit_timeout = unit_timeout
        self.matrix_timeout = matrix_timeout

    def judge(self) -> Verdict:
        b = self.sb.build
        logs = self.sb.root
        rc, out = run_logged(["ninja", "-C", str(b)] + self.targets, logs / "compile.log", timeout=1800)
        if rc != 0:
            return Verdict("stillborn", "compile", _compile_error(out), self.matrix)
        # A suite the judged commit does not have yet (e.g. dtls_record before DTLS) is skipped.
        built = set(self.targets)
        for suite in (s for s in UNIT_SUITES if s in self.suites and f"tests/test_{s}" in built):
            # -aa=1: stop at the first failed check; its test case is the killer.
            rc, out = run_logged([str(b / "tests" / ("test_" + suite)), "-aa=1", "--no-colors"],
                                 logs / "unit.log", timeout=self.unit_timeout)
            if rc != 0:
                return Verdict("killed", "unit", f"{suite}: {_doctest_case(out, rc)}", self.matrix)
        if "fuzz_corpus" in self.suites:
            rc, out = run_logged(["bash", str(self.sb.src / "tests/fuzz/test_corpus.sh"), str(self.sb.src),
                                  str(b / "fuzz")], logs / "fuzz.log", timeout=self.unit_timeout)
            if rc != 0:
                return Verdict("killed", "fuzz_corpus", _fuzz_failure(out, rc), self.matrix)
        if not self.matrix:
            return Verdict("survived", "", "", False)
        rc, out = run_logged([str(b / "tools" / "closenotify"), "diff", "--fail-fast", "--quiet",
                              "--jobs", str(self.matrix_jobs)], logs / "matrix.log",
                             timeout=self.matrix_timeout)
        if rc is None:
            return Verdict("killed", "matrix", f"timeout after {self.matrix_timeout:.0f} s", True)
        if rc != 0:
            m = re.search(r"--fail-fast: first failure: (.*)", out)
            what = m.group(1) if m else "exit status %d: %s" % (rc, _last_line(out))
            return Verdict("killed", "matrix", what, True)
        return Verdict("survived", "", "", True)


def _last_line(out: str) -> str:
    lines = [l for l in out.splitlines() if l.strip()]
    return lines[-1][:200] if lines else ""


def _compile_error(out: str) -> str:
    m = re.search(r"error: (.*)", out)
    return (m.group(1) if m else _last_line(out))[:200]


def _doctest_case(out: str, rc) -> str:
    if rc is None:
        return "timeout"
    if rc < 0:
        return f"crashed (signal {-rc})"
    cases = re.findall(r"^TEST CASE:\s+(.*)$", out, re.M)
    if cases:
        return cases[0].strip()
    return _last_line(out)


def _fuzz_failure(out: str, rc) -> str:
    if rc is None:
        return "timeout"
    m = re.search(r"FAIL: (\S+)", out)
    return m.group(1) if m else _last_line(out)
