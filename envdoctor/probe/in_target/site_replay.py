# Site replay: what site.addpackage does, with a hook before every .pth line.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
# Used in a target started with -S: by the start-up diagnosis (trace_startup, a marker
# before every .pth line and customize module, so the host can name the line during which
# the interpreter died), and by the facts probe asked to skip that one line.
import json
import os
import sys

from .emit import write_raw
from .filesystem import read_pth_strictly

# The line number that stands for a whole .pth file: one that site cannot decode.
WHOLE_FILE = 0


def _make_replaying_addpackage(site, before_line, skip_line):
    def addpackage(sitedir, name, known_paths):
        # `sitedir` must keep that name: setuptools' -nspkg.pth lines read it
        # through sys._getframe(1).f_locals['sitedir'].
        reset = known_paths is None
        if reset:
            known_paths = site._init_pathinfo()
        fullname = os.path.join(sitedir, name)
        if skip_line == [fullname, WHOLE_FILE]:
            return None if reset else known_paths
        try:
            text = read_pth_strictly(fullname)
        except OSError:
            return None if reset else known_paths
        except UnicodeDecodeError as exc:
            # site dies here, before any line of the file runs: the whole file is the culprit.
            before_line(fullname, WHOLE_FILE, "cannot be decoded as %s (byte 0x%02x at offset %d)"
                        % (exc.encoding, exc.object[exc.start], exc.start))
            raise
        for lineno, line in enumerate(text.splitlines(), 1):
            before_line(fullname, lineno, line)
            if skip_line == [fullname, lineno]:
                continue
            if line.startswith("#") or not line.strip():
                continue
            try:
                if line.startswith(("import ", "import\t")):
                    exec(line)
                    continue
                line = line.rstrip()
                directory, dircase = site.makepath(sitedir, line)
                if dircase not in known_paths and os.path.exists(directory):
                    sys.path.append(directory)
                    known_paths.add(dircase)
            except Exception:  # site prints it and skips the rest of the file; the replay only skips
                break
        return None if reset else known_paths

    return addpackage


def replay_site(before_line=None, skip=None):
    """Run site.main() (we were started with -S) with traced .pth processing."""
    import site

    before_line = before_line or (lambda *args: None)
    skip_line = skip if isinstance(skip, list) else None
    site.addpackage = _make_replaying_addpackage(site, before_line, skip_line)
    for hook_name in ("execsitecustomize", "execusercustomize"):
        original = getattr(site, hook_name, None)
        if original is None:
            continue
        module = hook_name[4:]

        def traced(original=original, module=module):
            before_line(module, 0, "import " + module)
            if skip == module:
                return
            original()

        setattr(site, hook_name, traced)
    site.main()


def trace_startup(nonce):
    marker = "@@ENVDOCTOR-TRACE-%s@@ " % nonce

    def before_line(fullname, lineno, line):
        write_raw(marker + json.dumps({"event": "line", "file": fullname, "line": lineno, "text": line}) + "\n")

    replay_site(before_line=before_line)
    write_raw(marker + json.dumps({"event": "done"}) + "\n")
