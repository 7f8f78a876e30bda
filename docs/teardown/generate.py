#!/usr/bin/python3
"""Regenerates the generated blocks of docs/teardown.md from live runs.

Usage: generate.py [--check] [--doc FILE] [--scenarios DIR] CLOSENOTIFY

CLOSENOTIFY is the closenotify executable (build/tools/closenotify); its OpenSSL peer must
be next to it, as for `closenotify trace`. Every generated block of the document sits
between a marker and `<!-- end generated -->`:

  <!-- generated: trace SCENARIO --suite S --role R --io I [--profile P] -->
      the Mermaid sequence diagram of `closenotify trace SCENARIO ... --mermaid -`
      (A is closenotify under profile P, default openssl-3.0; B is live OpenSSL 3.0)

  <!-- generated: profiles SCENARIO --suite S --role R --io I -->
      a table of every step's outcome (return value, SSL_get_error class,
      SSL_get_shutdown flags, reason, records sent) under each of the five profiles:
      the openssl-3.0 column is the reference run (`--reference`: A is OpenSSL 3.0
      itself); every other column is closenotify following that profile
      (`--profile P --json -`) against the live OpenSSL 3.0 peer. The generator fails
      if closenotify's own openssl-3.0 run disagrees with the reference run anywhere.

Without --check the blocks are rewritten in place. With --check the document is
regenerated in memory and nothing is written; the exit status is 1, with one line per
differing block, if the file is not what the runs produce now.

Only deterministic fields are embedded: no timings, versions, ports, handshake bytes or
keys (the handshake and the OpenSSL version line of the JSON are never read; the
Mermaid output has neither, and any OpenSSL version string in it would be reduced to
"OpenSSL").
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from generated_blocks import finish  # noqa: E402
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
PROFILES = ['openssl-1.0', 'libressl', 'openssl-1.1.1', 'openssl-3.0', 'openssl-3.5']
LIVE = 'openssl-3.0'
BEGIN = re.compile(r'^<!-- generated: (.*?) -->$')
END = '<!-- end generated -->'
FLAGS = {'0': 'none', '1': 'SENT', '2': 'RECEIVED', '3': 'SENT\\|RECEIVED'}
COMPARED = ('side', 'command', 'outcome', 'ret', 'err', 'flags', 'reason', 'sent', 'recv', 'data')


class failure(Exception):
    pass


def parse_marker(spec, where):
    words = shlex.split(spec)
    if len(words) < 2 or words[0] not in ('trace', 'profiles'):
        raise failure('%s: marker must be "trace SCENARIO ..." or "profiles SCENARIO ...": %r' % (where, spec))
    kind, scenario, rest = words[0], words[1], words[2:]
    opts = {}
    allowed = {'--suite', '--role', '--io'} | ({'--profile'} if kind == 'trace' else set())
    while rest:
        if rest[0] not in allowed or len(rest) < 2:
            raise failure('%s: unexpected %r in marker (allowed: %s)' % (where, rest[0], ', '.join(sorted(allowed))))
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    for need in ('--suite', '--role', '--io'):
        if need not in opts:
            raise failure('%s: marker must name the cell exactly: %s missing' % (where, need))
    return kind, scenario, opts


class runner:
    def __init__(self, exe, scenarios):
        self.exe = exe
        self.scenarios = scenarios
        self.cache = {}

    def run(self, scenario, opts, *extra):
        args = [self.exe, 'trace', scenario, '--scenarios', self.scenarios]
        for k in ('--suite', '--role', '--io', '--profile'):
            if k in opts:
                args += [k, opts[k]]
        args += list(extra)
        key = tuple(args)
        if key not in self.cache:
            p = subprocess.run(args, capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                raise failure('%s: exit %d: %s' % (' '.join(shlex.quote(a) for a in args[1:]), p.returncode,
                                                   (p.stderr or p.stdout).strip().splitlines()[-1:] or ''))
            self.cache[key] = p.stdout
        return self.cache[key]

    def json_run(self, scenario, opts, *extra):
        d = json.loads(self.run(scenario, opts, '--json', '-', *extra))
        if d.get('harness_error'):
            raise failure('trace %s: harness error: %s' % (scenario, d['harness_error']))
        return d


def mermaid_block(r, scenario, opts):
    text = r.run(scenario, opts, '--mermaid', '-')
    text = re.sub(r'OpenSSL \d+\.\d+\.\d+[^,\n)]*', 'OpenSSL', text)
    return '```mermaid\n' + text.rstrip('\n') + '\n```'


def cell(step):
    if step.get('command') == 'wait':
        return '(waits for its blocked call: %s)' % step.get('outcome', '?')
    parts = [step.get('ret', '?')]
    if step.get('err', '-') != '-':
        parts.append(step['err'])
    parts.append(FLAGS.get(step.get('flags'), step.get('flags', '?')))
    text = ' · '.join(parts)
    if step.get('outcome') not in (None, 'returned'):
        text = step['outcome'] + ': ' + text
    extra = []
    if step.get('reason', '-') != '-':
        extra.append('“%s”' % step['reason'])
    if step.get('recv', '-') != '-':
        extra.append('received %s' % step['recv'])
    if step.get('sent', '-') != '-':
        extra.append('sent %s' % step['sent'])
    return text + ''.join('<br>' + e for e in extra)


def profiles_block(r, scenario, opts):
    runs = {}
    for p in PROFILES:
        if p == LIVE:
            ref = r.json_run(scenario, opts, '--reference')
            own = r.json_run(scenario, dict(opts, **{'--profile': LIVE}))
            a, b = ref['steps'], own['steps']
            if len(a) != len(b):
                raise failure('trace %s: the reference run has %d steps, closenotify\'s openssl-3.0 run %d'
                              % (scenario, len(a), len(b)))
            for x, y in zip(a, b):
                for f in COMPARED:
                    if x.get(f) != y.get(f):
                        raise failure('trace %s: step %s, %s: OpenSSL 3.0 gave %r, closenotify (openssl-3.0) %r — '
                                      'the openssl-3.0 column would not be what closenotify does'
                                      % (scenario, x.get('step'), f, x.get(f), y.get(f)))
            runs[p] = a
        else:
            runs[p] = r.json_run(scenario, dict(opts, **{'--profile': p}))['steps']
    n = {len(s) for s in runs.values()}
    if len(n) != 1:
        raise failure('trace %s: the profiles\' runs have different step counts %s' % (scenario, sorted(n)))
    head = ['#', 'step'] + ['%s (%s)' % (p, 'live' if p == LIVE else 'page') for p in PROFILES]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for i, live_step in enumerate(runs[LIVE]):
        base = cell(live_step)
        row = [str(live_step['step']), '%s `%s`' % (live_step['side'], live_step['command'])]
        for p in PROFILES:
            c = cell(runs[p][i])
            row.append('**%s**' % c.replace('<br>', '**<br>**') if p != LIVE and c != base else c)
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def regenerate(text, r):
    out, blocks = [], []
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        m = BEGIN.match(line.strip())
        if not m:
            out.append(line)
            i += 1
            continue
        where = 'line %d' % (i + 1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != END:
            if BEGIN.match(lines[j].strip()):
                raise failure('%s: a generated block starts before the one at %s ends' % ('line %d' % (j + 1), where))
            j += 1
        if j == len(lines):
            raise failure('%s: no "%s" after "%s"' % (where, END, line.strip()))
        kind, scenario, opts = parse_marker(m.group(1), where)
        body = mermaid_block(r, scenario, opts) if kind == 'trace' else profiles_block(r, scenario, opts)
        old = '\n'.join(lines[i + 1:j])
        blocks.append((i + 1, m.group(1), old, body))
        out.append(line)
        out.extend(body.split('\n'))
        out.append(lines[j])
        i = j + 1
    return '\n'.join(out), blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('closenotify')
    ap.add_argument('--check', action='store_true', help='regenerate in memory; fail if the document differs')
    ap.add_argument('--doc', default=os.path.join(ROOT, 'docs', 'teardown.md'))
    ap.add_argument('--scenarios', default=os.path.join(ROOT, 'tests', 'scenarios'))
    args = ap.parse_args()
    with open(args.doc, encoding='utf-8') as f:
        text = f.read()
    try:
        new, blocks = regenerate(text, runner(os.path.abspath(args.closenotify), args.scenarios))
    except failure as e:
        print('FAIL: %s' % e)
        return 1
    if not blocks:
        print('FAIL: %s has no generated blocks' % args.doc)
        return 1
    name = os.path.relpath(args.doc, ROOT)
    return finish(args.doc, name, text, new, blocks, args.check)


if __name__ == '__main__':
    sys.exit(main())
