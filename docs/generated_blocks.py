"""The ending the doc generators (docs/teardown/generate.py, docs/versions/generate.py) share.

A generated block sits between `<!-- generated: ... -->` and `<!-- end generated -->`; each
generator rebuilds its blocks from live runs and hands them here as (line, spec, old body,
new body). With --check nothing is written and every block that differs is one FAIL line;
otherwise the document is rewritten.
"""
import difflib


def finish(doc, name, text, new, blocks, check):
    """Exit status: --check 1 if any block differs; otherwise writes `new` over `doc`."""
    if check:
        bad = 0
        for line, spec, old, body in blocks:
            if old == body:
                continue
            bad += 1
            diff = [d for d in difflib.unified_diff(old.split('\n'), body.split('\n'), lineterm='', n=0)
                    if d[:1] in '+-' and d[:3] not in ('+++', '---')]
            first = next((d for d in diff if d.startswith('-')), None) or (diff[0] if diff else '')
            print('FAIL: %s:%d: block "%s" differs from a live run: %d line(s) removed, %d added; first: %s'
                  % (name, line, spec, sum(d.startswith('-') for d in diff), sum(d.startswith('+') for d in diff),
                     first[:120]))
        print('%s: %d generated blocks, %d up to date' % (name, len(blocks), len(blocks) - bad))
        return 1 if bad else 0
    if new != text:
        with open(doc, 'w', encoding='utf-8') as f:
            f.write(new)
    print('%s: %d generated blocks regenerated%s' % (name, len(blocks), '' if new != text else ' (no change)'))
    return 0
