"""test_install.py — the library as another project sees it: `meson install` into a
temporary DESTDIR, then docs/examples/shutdown_over_own_transport.cpp compiled with the
flags `pkg-config --cflags --libs closenotify` gives, and run.

Run: python3 tests/install/test_install.py BUILD_DIR SOURCE_DIR B_SANITIZE CXX
"""

import glob
import os
import shlex
import subprocess
import sys
import tempfile


def main():
    build, source, sanitize, cxx = sys.argv[1:5]
    with tempfile.TemporaryDirectory(prefix="closenotify-install-") as destdir:
        proc = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                               "--destdir", destdir], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
            print("FAIL: meson install")
            return 1
        pcs = glob.glob(os.path.join(destdir, "**", "pkgconfig", "closenotify.pc"), recursive=True)
        headers = glob.glob(os.path.join(destdir, "**", "include", "closenotify", "*.hpp"), recursive=True)
        print("installed:", [os.path.relpath(p, destdir) for p in pcs], len(headers), "headers")
        if len(pcs) != 1 or len(headers) < 11:
            print("FAIL: expected one closenotify.pc and the public headers")
            return 1
        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = os.path.dirname(pcs[0])
        # The .pc names the real prefix; the sysroot maps its -I and -L into DESTDIR.
        env["PKG_CONFIG_SYSROOT_DIR"] = destdir
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "closenotify"], env=env,
                               capture_output=True, text=True)
        if flags.returncode != 0:
            print(flags.stderr)
            print("FAIL: pkg-config --cflags --libs closenotify")
            return 1
        print("pkg-config:", flags.stdout.strip())
        exe = os.path.join(destdir, "example")
        sanitizer = [] if sanitize in ("", "none") else ["-fsanitize=" + sanitize]
        command = ([cxx, "-o", exe, os.path.join(source, "docs", "examples", "shutdown_over_own_transport.cpp")]
                   + sanitizer + shlex.split(flags.stdout))
        print("compile:", " ".join(command))
        cc = subprocess.run(command, capture_output=True, text=True)
        if cc.returncode != 0:
            print(cc.stdout, cc.stderr)
            print("FAIL: the example does not build against the installed package")
            return 1
        # Installed for real, libdir would be on the loader's path (ldconfig); from a
        # DESTDIR it is not. BoringSSL must come from the library's own rpath.
        libdir = os.path.dirname(os.path.dirname(pcs[0]))
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = libdir
        ldd = subprocess.run(["ldd", exe], env=env, capture_output=True, text=True).stdout
        print(ldd)
        crypto = [l for l in ldd.splitlines() if "libcrypto" in l]
        if len(crypto) != 1 or "/android/" not in crypto[0]:
            print("FAIL: the example must load BoringSSL's libcrypto (via the library's rpath), and only it")
            return 1
        run = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
        print(run.stdout, run.stderr)
        if run.returncode != 0 or "clean bidirectional shutdown" not in run.stdout:
            print("FAIL: the example did not complete a clean shutdown")
            return 1
        if not installed_catalogue_is_used(destdir, libdir, source):
            return 1
    print("PASS")
    return 0


def installed_catalogue_is_used(destdir, libdir, source):
    """The installed closenotify reads the installed scenario catalogue and divergence ids,
    not the source tree it was built from: with all but one family removed from the
    installed copy, `diff --list` lists that family alone."""
    scns = glob.glob(os.path.join(destdir, "**", "share", "closenotify", "scenarios", "*.scn"), recursive=True)
    ids = glob.glob(os.path.join(destdir, "**", "share", "closenotify", "scenarios", "divergences.ids"), recursive=True)
    source_scns = glob.glob(os.path.join(source, "tests", "scenarios", "*.scn"))
    print("installed catalogue: %d of %d scenario files, %d divergence-ids file" % (len(scns), len(source_scns), len(ids)))
    if len(scns) != len(source_scns) or len(ids) != 1:
        print("FAIL: the scenario catalogue and divergences.ids are not installed under share/closenotify/scenarios")
        return False
    exes = glob.glob(os.path.join(destdir, "**", "bin", "closenotify"), recursive=True)
    if len(exes) != 1:
        print("FAIL: expected one installed closenotify, found %s" % exes)
        return False
    keep = os.path.join(os.path.dirname(scns[0]), "alerts.scn")
    for f in scns:
        if f != keep:
            os.remove(f)
    env = {k: v for k, v in os.environ.items() if k not in ("CLOSENOTIFY_PEER", "CLOSENOTIFY_DATA_DIR")}
    env["LD_LIBRARY_PATH"] = libdir
    run = subprocess.run([exes[0], "diff", "--list", "--openssl", "3.0"], env=env, capture_output=True, text=True,
                         timeout=120)
    cases = [l.strip() for l in run.stdout.splitlines() if l.startswith("  ")]
    families = sorted({c.split("-")[0] for c in cases})
    print("installed closenotify diff --list: exit %d, %d cases, families %s" % (run.returncode, len(cases), families))
    if run.returncode != 0 or not cases or families != ["alerts"]:
        print(run.stderr)
        print("FAIL: the installed closenotify must list the installed catalogue (alerts only), not the source tree's")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
