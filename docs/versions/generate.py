#!/usr/bin/python3
"""Regenerates the generated block of docs/versions.md from live runs.

Usage: generate.py [--check] [--doc FILE] [--scenarios DIR] CLOSENOTIFY

CLOSENOTIFY is the closenotify executable (build/tools/closenotify); the peers of OpenSSL
1.1.1, 3.0 and 3.5 must be next to it, as for `closenotify diff`. The generated block sits
between a marker and `<!-- end generated -->`:

  <!-- generated: compare-versions [--cells CELL[,CELL]] [--family F] [--scenario S] [--filter G] -->
      the output of `closenotify diff --compare-versions --json - ...` with those options:
      a summary line, a table of scenario families, then per family a table with a row
      per step field whose value differs between the releases (scenario, step, field, and
      the value under 1.1.1, 3.0 and 3.5), and the scenarios that are the same under all.

Without --check the block is rewritten in place. With --check the document is regenerated
in memory and nothing is written; the exit status is 1, with one line per differing block,
if the file is not what the runs produce now. When a release's peer is missing the exit
status is 77 (a skipped test) and the line says which and how to install it: the document
needs all three.

Only deterministic fields are embedded: no timings, version strings, ports or keys (the
JSON's `releases` are read for their series names only).
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
RELEASES = ['1.1.1', '3.0', '3.5']
BEGIN = re.compile(r'^<!-- generated: (.*?) -->$')
END = '<!-- end generated -->'
FLAGS = {'0': 'none', '1': 'SENT', '2': 'RECEIVED', '3': 'SENT\\|RECEIVED'}
ALLOWED = {'--cells', '--family', '--scenario', '--filter'}
SKIPPED = 77


class failure(Exception):
    pass


class skipped(Exception):
    pass


def parse_marker(spec, where):
    words = shlex.split(spec)
    if not words or words[0] != 'compare-versions':
        raise failure('%s: marker must be "compare-versions [OPTIONS]": %r' % (where, spec))
    rest = words[1:]
    opts = []
    while rest:
        if rest[0] not in ALLOWED or len(rest) < 2:
            raise failure('%s: unexpected %r in marker (allowed: %s)' % (where, rest[0], ', '.join(sorted(ALLOWED))))
        opts += rest[:2]
        rest = rest[2:]
    return opts


def check_peers(exe, scenarios):
    """Every release must be live: `closenotify diff --list` names the ones that are not."""
    p = subprocess.run([exe, 'diff', '--list', '--scenarios', scenarios], capture_output=True, text=True,
                       timeout=120)
    text = p.stdout + p.stderr
    missing = [line.strip() for line in text.splitlines() if re.match(r'^OpenSSL [0-9.]+: skipped: ', line.strip())]
    if missing:
        raise skipped('docs/versions.md needs live OpenSSL %s; %s' % (', '.join(RELEASES), '; '.join(missing)))


def compare_versions(exe, scenarios, opts):
    args = [exe, 'diff', '--compare-versions', '--quiet', '--json', '-', '--scenarios', scenarios] + opts
    p = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        last = (p.stderr or p.stdout).strip().splitlines()[-1:] or ['']
        raise failure('%s: exit %d: %s' % (' '.join(shlex.quote(a) for a in args[1:]), p.returncode, last[0]))
    d = json.loads(p.stdout)
    got = [r['openssl'] for r in d['releases']]
    if got != RELEASES:
        missing = ['OpenSSL %s: skipped: %s' % (m['openssl'], m['reason']) for m in d.get('skipped_versions', [])]
        raise skipped('docs/versions.md needs live OpenSSL %s; ran %s%s'
                      % (', '.join(RELEASES), ', '.join(got), ''.join('; ' + m for m in missing)))
    if d['totals']['errors']:
        errors = [e for s in d['scenarios'] for e in s['errors']]
        raise failure('%d runs had a harness error, e.g. OpenSSL %s %s: %s'
                      % (len(errors), errors[0]['openssl'], errors[0]['cell'], errors[0]['error']))
    return d


def value(field, v):
    if v is None:
        return '*not run*'
    if v == '':
        return '(none)'
    if field == 'flags':
        return FLAGS.get(v, v)
    return v.replace('|', '\\|')


def plural(n, one, many=None):
    return '%d %s' % (n, one if n == 1 else (many or one + 's'))


def scenario_rows(s):
    """The table rows of one scenario: a row per differing field, the scenario named on its
    first row, the cells named where its patterns differ or do not cover every cell it ran in."""
    rows = []
    differing = [p for p in s['patterns'] if p['differences']]
    ran = sum(len(p['cells']) for p in s['patterns'])
    for p in differing:
        label = '`%s`' % s['scenario'] if p is differing[0] else ''
        if len(differing) > 1 or len(p['cells']) < ran:
            label += '<br><sub>in %s</sub>' % ', '.join(p['cells'])
        last_step = None
        for d in p['differences']:
            step = ('%s records on the wire' % d['side'] if d['step'] is None
                    else '%d %s `%s`' % (d['step'], d['side'], d['command']))
            rows.append([label, step if step != last_step else '', d['field']] +
                        [value(d['field'], d['values'][r]) for r in RELEASES])
            label = ''
            last_step = step
    return rows


def block(d, opts):
    t = d['totals']
    families = []
    for s in d['scenarios']:
        if not families or families[-1][0] != s['family']:
            families.append((s['family'], s['family_title'], []))
        families[-1][2].append(s)
    skips = {}
    for s in d['scenarios']:
        for k in s['release_skips']:
            skips.setdefault((k['openssl'], k['reason']), []).append(s['scenario'])
    out = []
    same = t['scenarios'] - t['scenarios_differing']
    line = ('**%s run**, in %s (%s): **%d differ** between OpenSSL %s, in %s; %d are the same under every release that ran them.'
            % (plural(t['scenarios'], 'scenario'), plural(t['cells'], 'cell'),
               plural(t['reference_runs'], 'reference run'), t['scenarios_differing'], ', '.join(RELEASES),
               plural(t['cells_differing'], 'cell'), same))
    for (release, reason), names in sorted(skips.items()):
        line += ' %s did not run %s: %s.' % (release, plural(len(names), 'scenario'), reason)
    out.append(line)
    out.append('')
    out.append('| family | scenarios | differ | same |')
    out.append('|---|---|---|---|')
    for family, title, scenarios in families:
        n = sum(1 for s in scenarios if s['differs'])
        out.append('| %s (%s) | %d | %d | %d |' % (family, title, len(scenarios), n, len(scenarios) - n))
    for family, title, scenarios in families:
        out.append('')
        out.append('### %s: %s' % (family, title))
        out.append('')
        rows = [r for s in scenarios if s['differs'] for r in scenario_rows(s)]
        if rows:
            out.append('| scenario | step | field | ' + ' | '.join(RELEASES) + ' |')
            out.append('|---|---|---|' + '---|' * len(RELEASES))
            out.extend('| ' + ' | '.join(r) + ' |' for r in rows)
            out.append('')
        not_run = {}
        for s in scenarios:
            for k in s['release_skips']:
                not_run.setdefault((k['openssl'], k['reason']), []).append(s['scenario'])
        same = [s['scenario'] for s in scenarios if not s['differs']]
        if same:
            out.append('%s under %s: %s.' % ('Same' if rows else 'Every scenario the same',
                                            'every release that ran it' if not_run else 'all three',
                                            ', '.join('`%s`' % n for n in same)))
        for (release, reason), names in sorted(not_run.items()):
            out.append('')
            out.append('Not run under %s (%s): %s.' % (release, reason, ', '.join('`%s`' % n for n in names)))
    return '\n'.join(out)


def regenerate(text, exe, scenarios):
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
                raise failure('line %d: a generated block starts before the one at %s ends' % (j + 1, where))
            j += 1
        if j == len(lines):
            raise failure('%s: no "%s" after "%s"' % (where, END, line.strip()))
        opts = parse_marker(m.group(1), where)
        body = block(compare_versions(exe, scenarios, opts), opts)
        blocks.append((i + 1, m.group(1), '\n'.join(lines[i + 1:j]), body))
        out.append(line)
        out.extend(body.split('\n'))
        out.append(lines[j])
        i = j + 1
    return '\n'.join(out), blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('closenotify')
    ap.add_argument('--check', action='store_true', help='regenerate in memory; fail if the document differs')
    ap.add_argument('--doc', default=os.path.join(ROOT, 'docs', 'versions.md'))
    ap.add_argument('--scenarios', default=os.path.join(ROOT, 'tests', 'scenarios'))
    args = ap.parse_args()
    exe = os.path.abspath(args.closenotify)
    with open(args.doc, encoding='utf-8') as f:
        text = f.read()
    name = os.path.relpath(args.doc, ROOT)
    try:
        check_peers(exe, args.scenarios)
        new, blocks = regenerate(text, exe, args.scenarios)
    except skipped as e:
        print('SKIP: %s' % e)
        return SKIPPED if args.check else 1
    except failure as e:
        print('FAIL: %s' % e)
        return 1
    if not blocks:
        print('FAIL: %s has no generated blocks' % name)
        return 1
    return finish(args.doc, name, text, new, blocks, args.check)


if __name__ == '__main__':
    sys.exit(main())
