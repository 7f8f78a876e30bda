"""campaign.py: which mutants run, what is already known about them, and the report.

The state file holds one JSON object per line, one per judged mutant; the last line for an
id wins, so a rerun appends. A result counts as done for a mutant only if it was judged on
the same original text (`old` and the line it sits on): an edit of lib/ that moves code
gives its mutants new ids, and one that changes a line in place is judged again.
"""

from __future__ import annotations

import collections
import json
import pathlib
import random

from mutants import OPERATORS, Mutant

DEFAULT_FILES = ("lib/endpoint.cpp", "lib/alert.cpp", "lib/record_framing.cpp",
                 "lib/record_protection.cpp", "lib/post_handshake.cpp", "lib/key_schedule.cpp",
                 "lib/dtls_record_framing.cpp", "lib/dtls_record_open.cpp", "lib/dtls_replay_window.cpp")


def line_of(text: str, m: Mutant) -> str:
    a = text.rfind("\n", 0, m.start) + 1
    b = text.find("\n", m.end)
    return text[a: len(text) if b < 0 else b]


def sample(mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """n mutants spread over every (file, operator) pair: each pair's mutants shuffled with
    `seed`, then taken round-robin, pairs in a seeded order. The same arguments give the
    same sample, and a larger n only adds to a smaller one's."""
    groups: dict[tuple[str, str], list[Mutant]] = collections.defaultdict(list)
    for m in mutants:
        groups[(m.file, m.operator)].append(m)
    rng = random.Random(seed)
    keys = sorted(groups)
    rng.shuffle(keys)
    for k in keys:
        rng.shuffle(groups[k])
    out: list[Mutant] = []
    depth = 0
    while len(out) < n and any(len(groups[k]) > depth for k in keys):
        for k in keys:
            if len(groups[k]) > depth and len(out) < n:
                out.append(groups[k][depth])
        depth += 1
    return out


class State:
    def __init__(self, path: pathlib.Path):
        self.path = path
        self.records: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    r = json.loads(line)
                    self.records[r["id"]] = r

    def done(self, m: Mutant, line: str, need_matrix: bool, retry: set[str]) -> dict | None:
        r = self.records.get(m.id)
        if r is None or r.get("old") != m.old or r.get("line") != line:
            return None
        if r["status"] in retry:
            return None
        if need_matrix and r["status"] == "survived" and not r.get("matrix_run", True):
            return None  # survived the unit tests only: the matrix is still owed
        return r

    def add(self, record: dict) -> None:
        self.records[record["id"]] = record
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")


def load_equivalent(path: pathlib.Path) -> dict[str, str]:
    """id -> why the mutant cannot be observed. One per line: `id  reason`; # comments."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        ident, _, reason = line.partition(" ")
        out[ident] = reason.strip()
    return out


def summarize(records: list[dict], equivalent: dict[str, str]) -> str:
    """The figures: by file and by operator, killed / survived / stillborn / equivalent, the
    score killed / (total - stillborn - equivalent), and each survivor."""
    def status(r):
        if r["status"] == "survived" and r["id"] in equivalent:
            return "equivalent"
        return r["status"]

    cols = ("killed", "survived", "stillborn", "equivalent")
    lines = []

    def table(title, key, order):
        rows = collections.defaultdict(collections.Counter)
        for r in records:
            rows[key(r)][status(r)] += 1
        lines.append(f"{title:<28} {'total':>5} " + " ".join(f"{c:>10}" for c in cols))
        for k in order(rows):
            c = rows[k]
            lines.append(f"{k:<28} {sum(c.values()):>5} " + " ".join(f"{c[x]:>10}" for x in cols))
        lines.append("")

    table("file", lambda r: r["file"], lambda rows: sorted(rows))
    table("operator", lambda r: r["operator"], lambda rows: [o for o in OPERATORS if o in rows])
    stages = collections.Counter(r["stage"] for r in records if r["status"] == "killed")
    lines.append("killed by: " + ", ".join(f"{s} {n}" for s, n in sorted(stages.items())))
    c = collections.Counter(status(r) for r in records)
    counted = len(records) - c["stillborn"] - c["equivalent"]
    score = c["killed"] / counted if counted else 0.0
    lines.append(f"mutants {len(records)}: killed {c['killed']}, survived {c['survived']}, stillborn "
                 f"{c['stillborn']}, equivalent {c['equivalent']}; score {c['killed']}/{counted} = "
                 f"{100 * score:.1f}%")
    survivors = [r for r in records if status(r) == "survived"]
    if survivors:
        lines.append("\nsurvivors:")
        for r in survivors:
            note = "" if r.get("matrix_run", True) else "  (matrix not run)"
            lines.append(f"  {r['id']}  {r['edit']}{note}")
    eq = [r for r in records if status(r) == "equivalent"]
    if eq:
        lines.append("\nequivalent:")
        for r in eq:
            lines.append(f"  {r['id']}  {r['edit']}  -- {equivalent[r['id']]}")
    return "\n".join(lines) + "\n"
