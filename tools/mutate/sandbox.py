"""sandbox.py: a private copy of the tree and its build, the only place a mutant is written.

The user's tree is only ever read (through `git archive`), so no mutant can be left in it,
whatever happens to this process. The copy is brought up to date with the snapshot at the
start of every run, so a mutant left in the copy by a kill -9 is undone then too; a file
whose bytes did not change keeps its mtime, so ninja rebuilds only what did.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import signal
import subprocess
import tarfile
import threading
import time


def snapshot(source: pathlib.Path, rev: str) -> dict[str, bytes]:
    """Every file of `rev` in the repository at `source`, by path."""
    tar = subprocess.run(["git", "-C", str(source), "archive", "--format=tar", rev],
                         check=True, capture_output=True).stdout
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
            elif m.issym():
                files[m.name] = b"\0symlink\0" + m.linkname.encode()
    return files


def sync(tree: pathlib.Path, files: dict[str, bytes]) -> int:
    """Make `tree` hold exactly `files` (tracked paths only); returns how many were written."""
    written = 0
    for name, data in files.items():
        p = tree / name
        if data.startswith(b"\0symlink\0"):
            target = data[len(b"\0symlink\0"):].decode()
            if p.is_symlink() and os.readlink(p) == target:
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            p.symlink_to(target)
            written += 1
            continue
        if p.is_file() and not p.is_symlink() and p.read_bytes() == data:
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        written += 1
    return written


class Sandbox:
    """One worker's copy: <work>/w<N>/src and <work>/w<N>/build."""

    def __init__(self, work: pathlib.Path, index: int, log):
        self.root = work / f"w{index}"
        self.src = self.root / "src"
        self.build = self.root / "build"
        self.log = log

    def prepare(self, files: dict[str, bytes], targets_for) -> list[str]:
        """Sync the copy, configure it once, build what the killers need; the targets."""
        self.src.mkdir(parents=True, exist_ok=True)
        n = sync(self.src, files)
        self.log(f"{self.root}: {n} files updated from the snapshot")
        if not (self.build / "build.ninja").exists():
            # -O0: each mutant recompiles one file of lib/, and that compile is most of a
            # stillborn or unit-killed mutant's time.
            run_logged(["meson", "setup", "--buildtype=debug", str(self.build), str(self.src)],
                       self.root / "setup.log", timeout=1800)
        # Regenerate first when the snapshot changed a meson.build: the target list is read
        # from meson's introspection, which must describe this snapshot's tree.
        rc, _ = run_logged(["ninja", "-C", str(self.build), "build.ninja"], self.root / "regen.log", timeout=1800)
        if rc != 0:
            raise RuntimeError(f"meson could not reconfigure the copy: see {self.root / 'regen.log'}")
        targets = targets_for(self.build)
        self.log(f"{self.root}: building {len(targets)} targets (the first build takes minutes)")
        rc, _ = run_logged(["ninja", "-C", str(self.build)] + targets, self.root / "build.log",
                           timeout=7200)
        if rc != 0:
            raise RuntimeError(f"the unmutated tree does not build: see {self.root / 'build.log'}")
        return targets

    @contextlib.contextmanager
    def mutated(self, rel: str, text: str):
        """The copy's `rel` holds `text` inside the block, its own bytes again after it
        (Ctrl-C and exceptions included)."""
        p = self.src / rel
        original = p.read_bytes()
        try:
            p.write_text(text)
            yield
        finally:
            p.write_bytes(original)
            # The restored file is older to make than the object built from the mutant:
            # bump its mtime so the next build recompiles it.
            now = time.time()
            os.utime(p, (now, now))


STOPPING = threading.Event()
_active: set[subprocess.Popen] = set()
_active_lock = threading.Lock()


def kill_all() -> None:
    """Kill every process group run_logged is waiting on (Ctrl-C)."""
    with _active_lock:
        procs = list(_active)
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)


def run_logged(argv: list[str], log: pathlib.Path, timeout: float, cwd=None, env=None) -> tuple[int | None, str]:
    """Run argv in its own process group, output to `log`; (exit status or None on timeout,
    the output). A timeout or Ctrl-C kills the whole group: a mutant's hung peer included."""
    with open(log, "w+b") as out:
        if STOPPING.is_set():
            return -signal.SIGINT, ""
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True)
        with _active_lock:
            _active.add(proc)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc = None
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            with _active_lock:
                _active.discard(proc)
        out.seek(0)
        return rc, out.read().decode(errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
