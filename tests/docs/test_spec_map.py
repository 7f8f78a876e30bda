#!/usr/bin/python3
"""Checks docs/spec-map.md against the tests and the seed pages.

Usage: test_spec_map.py [REPO_ROOT]

Fails (exit 1, one line per problem) when a listed scenario, unit TEST_CASE or meson test
does not exist, a row has no test and no reason, a row is malformed, a live or contradicted
row does not say, for each live OpenSSL release its sentence is held to (3.0, plus 1.1.1
for a 001 sentence and 3.5 for a 004 sentence), whether it was verified against it or is
contradicted by it (naming an existing docs/divergences.md entry), a page `cite` of
tests/scenarios/*.scn matches no row, the totals line disagrees with the table, or — when
the reference pages are present (REPO_ROOT/../shared/reference, or $CLOSENOTIFY_REFERENCE)
— a quoted sentence or a page cite no longer appears in its page. docs/spec-map.md,
"Checks", describes the format.
"""
import glob
import os
import re
import sys

PAGE_ORDER = ['000', '002', '003', '001', '004']  # chronological
PAGE_PROFILE = {'000': 'openssl-1.0', '002': 'openssl-1.0', '003': 'libressl',
                '001': 'openssl-1.1.1', '004': 'openssl-3.5'}
PROFILES = {'openssl-1.0', 'libressl', 'openssl-1.1.1', 'openssl-3.0', 'openssl-3.5'}
PENDING = 'text (pending profile tests)'
# The live OpenSSL series (`closenotify diff --openssl R`), in this order; every live or
# contradicted row names 3.0 and, for its page's own release, 1.1.1 (001) or 3.5 (004).
RELEASES = ['1.1.1', '3.0', '3.5']
PAGE_RELEASE = {'001': '1.1.1', '004': '3.5'}
# A scenario that sets this option is skipped for 1.1.1, which has no such option.
NOT_IN_111 = 'ignore_unexpected_eof'


def norm(text):
    return ' '.join(text.split())


def unescape_c(s):
    return re.sub(r'\\(.)', r'\1', s)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def scenario_names(root):
    names = set()
    for path in glob.glob(os.path.join(root, 'tests', 'scenarios', '*.scn')):
        for line in read(path).splitlines():
            m = re.match(r'\s*scenario\s+(\S+)', line)
            if m:
                names.add(m.group(1))
    return names


def scenarios_setting(root, option):
    """Names of the scenarios with a step `A|B set OPTION`."""
    names = set()
    for path in glob.glob(os.path.join(root, 'tests', 'scenarios', '*.scn')):
        scenario = None
        for line in read(path).splitlines():
            m = re.match(r'\s*scenario\s+(\S+)', line)
            if m:
                scenario = m.group(1)
            elif scenario and re.match(r'\s*[AB]\s+set\s+%s\s*$' % re.escape(option), line):
                names.add(scenario)
    return names


def page_cites(root):
    """(file:line, scenario, page, quote) for every cite of a seed page."""
    cites = []
    for path in sorted(glob.glob(os.path.join(root, 'tests', 'scenarios', '*.scn'))):
        scenario = None
        for n, line in enumerate(read(path).splitlines(), 1):
            m = re.match(r'\s*scenario\s+(\S+)', line)
            if m:
                scenario = m.group(1)
            m = re.match(r'\s*cite\s+(\d{3})\s+[^:]*:\s*"(.*)"\s*$', line)
            if m:
                where = '%s:%d' % (os.path.relpath(path, root), n)
                cites.append((where, scenario, m.group(1), norm(m.group(2))))
    return cites


def unit_test_names(root):
    names = set()
    for path in glob.glob(os.path.join(root, 'tests', 'unit', '*.cpp')):
        for m in re.finditer(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"', read(path)):
            names.add(unescape_c(m.group(1)))
    return names


def meson_test_names(root):
    """Names given to test() in the project's meson.build files: string literals, and the
    keys of a dictionary whose foreach loop passes its key variable to test()."""
    names = set()
    files = [os.path.join(root, 'meson.build')]
    files += glob.glob(os.path.join(root, 'tests', '**', 'meson.build'), recursive=True)
    for path in files:
        if not os.path.exists(path):
            continue
        text = read(path)
        names.update(re.findall(r"\btest\(\s*'([^']+)'", text))
        for m in re.finditer(r'foreach\s+(\w+)\s*,\s*\w+\s*:\s*(\w+)', text):
            key_var, dict_var = m.group(1), m.group(2)
            body_end = text.find('endforeach', m.end())
            if not re.search(r'\btest\(\s*%s\b' % key_var, text[m.end():body_end]):
                continue
            d = re.search(r'\b%s\s*=\s*\{(.*?)\}' % dict_var, text, re.S)
            if d:
                names.update(re.findall(r"'([^']+)'\s*:", d.group(1)))
    return names


def divergence_ids(root):
    path = os.path.join(root, 'docs', 'divergences.md')
    return set(re.findall(r'^## ([A-Z])\.', read(path), re.M)) if os.path.exists(path) else set()


def listed_divergence_ids(root):
    """The ids the runner accepts (tests/scenarios/divergences.ids), first word of each line."""
    path = os.path.join(root, 'tests', 'scenarios', 'divergences.ids')
    ids = set()
    for line in read(path).splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            ids.add(line.split()[0])
    return ids


def load_pages(ref):
    pages = {}
    for path in glob.glob(os.path.join(ref, '[0-9][0-9][0-9]_*.txt')):
        pid = os.path.basename(path)[:3]
        text = read(path)
        if pid == '003':  # the mdoc extract: each line begins with its source line number
            text = '\n'.join(re.sub(r'^\d+ ', '', l) for l in text.splitlines())
        pages[pid] = norm(text)
    return pages


QUOTE = re.compile(r'^(\d{3}) ([^:"]+): "(.*)"$')
TEST = re.compile(r'(scenario|meson):([^\s<,]+)|unit:"((?:[^"\\]|\\.)*)"')


def parse_rows(text, problems):
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith('| S'):
            continue
        cells = [c.strip() for c in line.strip().strip('|').split(' | ')]
        where = 'docs/spec-map.md:%d' % n
        if len(cells) != 7:
            problems.append('%s: a row needs 7 cells (id | sentence | pages | profiles | tests | status | note), found %d' % (where, len(cells)))
            continue
        rid, sentence, pages, profiles, tests, status, note = cells
        row = {'where': where, 'id': rid, 'status': status, 'quotes': [], 'tests': []}
        if not re.fullmatch(r'S\d{3}', rid):
            problems.append('%s: id %r is not S and three digits' % (where, rid))
        for part in sentence.split('<br>'):
            m = QUOTE.match(part.strip())
            if not m:
                problems.append('%s %s: sentence %r is not <page> <section>: "<quote>"' % (where, rid, part[:60]))
                continue
            row['quotes'].append((m.group(1), m.group(2), norm(m.group(3))))
        row['pages'] = [p.strip() for p in pages.split(',') if p.strip()]
        row['profiles'] = [p.strip() for p in profiles.split(',') if p.strip()]
        rest = tests
        for m in TEST.finditer(tests):
            if m.group(3) is not None:
                row['tests'].append(('unit', unescape_c(m.group(3))))
            else:
                row['tests'].append((m.group(1), m.group(2)))
        rest = TEST.sub('', tests).replace('<br>', ' ').replace(',', ' ')
        if rest.strip():
            problems.append('%s %s: cannot read the tests cell near %r' % (where, rid, rest.strip()[:40]))
        rows.append(row)
    return rows


RELEASE_LIST = r'(\d+\.\d+(?:\.\d+)?(?:, \d+\.\d+(?:\.\d+)?)*)'
LIVE_CLAUSE = re.compile(r'live: ' + RELEASE_LIST)
CONTRADICTED_CLAUSE = re.compile(r'contradicted-by-' + RELEASE_LIST + r': see docs/divergences\.md ([A-Z])')


def release_clauses(status):
    """The clauses of a live / contradicted status, `; `-separated: a list of
    ('live', [releases], None) and ('contradicted', [releases], letter); None if the status
    is not of that form."""
    clauses = []
    for part in status.split('; '):
        m = LIVE_CLAUSE.fullmatch(part)
        if m:
            clauses.append(('live', m.group(1).split(', '), None))
            continue
        m = CONTRADICTED_CLAUSE.fullmatch(part)
        if m:
            clauses.append(('contradicted', m.group(1).split(', '), m.group(2)))
            continue
        return None
    return clauses


def status_kind(status):
    """The row's kind for the totals: a row with any contradicted clause is contradicted."""
    if status in ('text', PENDING):
        return 'text'
    if status == 'untested':
        return 'untested'
    if re.fullmatch(r'n/a: \S.*', status):
        return 'na'
    clauses = release_clauses(status)
    if clauses:
        return 'contradicted' if any(k == 'contradicted' for k, _, _ in clauses) else 'live'
    return None


def expected_releases(pages):
    """The live releases a row's sentence is held to: 3.0 (the default peer) always, and the
    page's own release for a 001 or 004 sentence."""
    want = {'3.0'} | {PAGE_RELEASE[p] for p in pages if p in PAGE_RELEASE}
    return [r for r in RELEASES if r in want]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..', '..'))
    problems = []
    map_path = os.path.join(root, 'docs', 'spec-map.md')
    text = read(map_path)
    rows = parse_rows(text, problems)
    if not rows:
        problems.append('docs/spec-map.md: no rows found')

    scenarios = scenario_names(root)
    units = unit_test_names(root)
    mesons = meson_test_names(root)
    divergences = divergence_ids(root)
    listed = listed_divergence_ids(root)
    not_in_111 = scenarios_setting(root, NOT_IN_111)
    seen = {}
    counts = {'live': 0, 'text': 0, 'na': 0, 'untested': 0, 'contradicted': 0}
    per_release = {r: {'live': 0, 'contradicted': 0} for r in RELEASES}
    pending = 0

    for row in rows:
        rid, where = row['id'], row['where']
        tag = '%s %s' % (where, rid)
        if rid in seen:
            problems.append('%s: id already used at %s' % (tag, seen[rid]))
        seen.setdefault(rid, where)

        # Tests exist.
        kinds = {k for k, _ in row['tests']}
        for kind, name in row['tests']:
            known = {'scenario': scenarios, 'unit': units, 'meson': mesons}[kind]
            if name not in known:
                what = {'scenario': 'scenario (tests/scenarios/*.scn)',
                        'unit': 'unit TEST_CASE (tests/unit/*.cpp)',
                        'meson': 'meson test'}[kind]
                problems.append('%s: no %s named %r' % (tag, what, name))

        # Status, and a test or a reason.
        status = row['status']
        kind = status_kind(status)
        if kind is None and status.startswith('n/a'):
            problems.append('%s: status n/a needs a reason: "n/a: <why>"' % tag)
        elif kind is None and status == 'live':
            problems.append('%s: status live must name the live releases it was verified against: '
                            '"live: %s"' % (tag, ', '.join(expected_releases(row['pages']))))
        elif kind is None:
            problems.append('%s: unknown status %r (live: R[, R...], contradicted-by-R[, R...]: see '
                            'docs/divergences.md X, the two joined by "; "; text, %s, untested, '
                            'n/a: <why>; R is a live release: %s)'
                            % (tag, status, PENDING, ', '.join(RELEASES)))
        else:
            counts[kind] += 1
            if status == PENDING:
                pending += 1
            if status == 'text' and 'unit' not in kinds:
                problems.append('%s: status text needs a unit: test' % tag)
            if kind == 'untested' and row['tests']:
                problems.append('%s: status untested but tests are listed' % tag)
            if kind in ('live', 'contradicted'):
                named = []
                for clause, releases, x in release_clauses(status):
                    bad = [r for r in releases if r not in RELEASES]
                    if bad:
                        problems.append('%s: %s is not a live release (%s)' % (tag, ', '.join(bad), ', '.join(RELEASES)))
                    elif releases != sorted(set(releases), key=RELEASES.index):
                        problems.append('%s: releases %s: list each once, in the order %s'
                                        % (tag, ', '.join(releases), ', '.join(RELEASES)))
                    named += releases
                    for r in releases:
                        if r in per_release:
                            per_release[r][clause] += 1
                    if clause == 'live' and 'scenario' not in kinds:
                        problems.append('%s: status live needs a scenario: test' % tag)
                    if clause == 'live' and '1.1.1' in releases:
                        scn = [n for k, n in row['tests'] if k == 'scenario']
                        if scn and all(n in not_in_111 for n in scn):
                            problems.append('%s: live against 1.1.1, but every scenario listed sets %s, '
                                            'which OpenSSL 1.1.1 does not have (skipped for 1.1.1)' % (tag, NOT_IN_111))
                    if clause == 'contradicted':
                        if not row['tests']:
                            problems.append('%s: a contradicted row needs the tests that show what %s does'
                                            % (tag, ', '.join(releases)))
                        if x not in divergences:
                            problems.append('%s: docs/divergences.md has no entry "## %s."' % (tag, x))
                dup = sorted({r for r in named if named.count(r) > 1})
                if dup:
                    problems.append('%s: release %s named twice' % (tag, ', '.join(dup)))
                want = expected_releases(row['pages'])
                if sorted(set(named) & set(RELEASES), key=RELEASES.index) != want:
                    problems.append('%s: status names releases %s; a sentence of pages %s is held to %s '
                                    '(3.0, plus 1.1.1 for 001 and 3.5 for 004): each must be live or contradicted'
                                    % (tag, ', '.join(named), ', '.join(row['pages']), ', '.join(want)))

        # Pages, profiles, quotes.
        pages = row['pages']
        bad = [p for p in pages if p not in PAGE_ORDER]
        if bad or not pages:
            problems.append('%s: pages %r: must be a list of 000 001 002 003 004' % (tag, pages))
            continue
        if pages != sorted(set(pages), key=PAGE_ORDER.index):
            problems.append('%s: pages %s: list each once, in the order %s' % (tag, ', '.join(pages), ', '.join(PAGE_ORDER)))
        for p, _, q in row['quotes']:
            if p not in pages:
                problems.append('%s: a quote from %s but %s is not in its pages' % (tag, p, p))
        if row['quotes'] and row['quotes'][0][0] != pages[0]:
            problems.append('%s: the first quote must come from the first page that has the sentence, %s' % (tag, pages[0]))
        expected = {PAGE_PROFILE[p] for p in pages}
        profiles = set(row['profiles'])
        if profiles - PROFILES:
            problems.append('%s: unknown profiles %s' % (tag, ', '.join(sorted(profiles - PROFILES))))
        if profiles - {'openssl-3.0'} != expected:
            problems.append('%s: profiles %s do not match pages %s (expected %s, plus openssl-3.0 where it applies)'
                            % (tag, ', '.join(row['profiles']), ', '.join(pages), ', '.join(sorted(expected))))
        if 'openssl-3.0' in profiles and not ({'001', '004'} & set(pages)):
            problems.append('%s: openssl-3.0 applies only to sentences of 001 or 004' % tag)

    # Every page cite of the catalogue is mapped.
    cites = page_cites(root)
    for where, scenario, page, quote in cites:
        if not any(page in row['pages'] and any(q in quote or quote in q for _, _, q in row['quotes'])
                   for row in rows):
            problems.append('%s: scenario %s cites %s "%s" — no row of docs/spec-map.md has it'
                            % (where, scenario, page, quote[:80] + ('…' if len(quote) > 80 else '')))

    # The totals line agrees with the table.
    fields = ['sentences', 'live', 'text', 'na', 'untested', 'contradicted']
    actual = [len(rows), counts['live'], counts['text'], counts['na'], counts['untested'], counts['contradicted']]
    for r in RELEASES:
        fields += ['live-' + r, 'contradicted-' + r]
        actual += [per_release[r]['live'], per_release[r]['contradicted']]
    m = re.search(r'<!-- spec-map totals: ' + ' '.join(re.escape(f) + r'=(\d+)' for f in fields) + ' -->', text)
    if not m:
        problems.append('docs/spec-map.md: the "<!-- spec-map totals: %s -->" line is missing or malformed'
                        % ' '.join(f + '=N' for f in fields))
    elif [int(g) for g in m.groups()] != actual:
        problems.append('docs/spec-map.md: totals line says %s, the table has %s'
                        % (' '.join('%s=%s' % fg for fg in zip(fields, m.groups())),
                           ' '.join('%s=%d' % fa for fa in zip(fields, actual))))

    # Quotes and cites against the pages themselves.
    ref = os.environ.get('CLOSENOTIFY_REFERENCE') or os.path.join(root, '..', 'shared', 'reference')
    pages_text = load_pages(ref) if os.path.isdir(ref) else {}
    if not pages_text:
        print('skip: no reference pages at %s (set CLOSENOTIFY_REFERENCE): quotes and cites not checked against the pages' % ref)
    else:
        for row in rows:
            for p, section, q in row['quotes']:
                if p not in pages_text:
                    problems.append('%s %s: page %s is not in %s' % (row['where'], row['id'], p, ref))
                elif q not in pages_text[p]:
                    problems.append('%s %s: quote no longer in page %s: "%s"' % (row['where'], row['id'], p, q[:80]))
        for where, scenario, page, quote in cites:
            if page in pages_text and quote not in pages_text[page]:
                problems.append('%s: scenario %s cites a sentence that is not in page %s: "%s"' % (where, scenario, page, quote[:80]))
        print('checked %d quotes and %d page cites against %s' %
              (sum(len(r['quotes']) for r in rows), len(cites), os.path.normpath(ref)))

    # The runner reads the ids file, people read the markdown: the two must name the same entries.
    for x in sorted(listed - divergences):
        problems.append('tests/scenarios/divergences.ids lists %s; docs/divergences.md has no "## %s." section' % (x, x))
    for x in sorted(divergences - listed):
        problems.append('docs/divergences.md has "## %s."; tests/scenarios/divergences.ids does not list it' % x)
    print('divergences: %d ids, the same in docs/divergences.md and tests/scenarios/divergences.ids' % len(listed)
          if listed == divergences else 'divergences: the ids file and docs/divergences.md differ')

    for p in problems:
        print('FAIL: ' + p)
    print('spec-map: %d sentences, %d live, %d text (%d pending profile tests), %d n/a, %d untested, %d contradicted'
          % (len(rows), counts['live'], counts['text'], pending, counts['na'], counts['untested'], counts['contradicted']))
    print('per live release: ' + '; '.join('%s: %d verified live, %d contradicted'
                                          % (r, per_release[r]['live'], per_release[r]['contradicted']) for r in RELEASES))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
