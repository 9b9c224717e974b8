"""fixes/combined.py's requirement arithmetic, on plain data."""

from envdoctor.fixes.combined import _intersected


def test_requirements_on_one_distribution_are_intersected_and_bare_names_kept():
    wanted = {0: ["idna==3.10"], 1: ["idna<4,>=2.5", "tqdm"], 2: ["Six>=1.16"]}
    assert _intersected(wanted) == ["idna==3.10,<4,>=2.5", "tqdm", "Six>=1.16"]


def test_the_same_specifier_is_written_once():
    assert _intersected({0: ["numpy<2"], 1: ["numpy<2,>=1.23.2"]}) == ["numpy<2,>=1.23.2"]


# A dry run whose interpreter forks a helper that keeps stdout open (a .pth or sitecustomize of the
# target may): the answer is read once the installer exits, and the helper is ended with it.
# Run in a fresh interpreter: ProcessTree makes its process a child subreaper, which pytest must not become.
INSTALLER = r'''
import os, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    with open(sys.argv[1], "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(600)  # holds the stdout it inherited
    os._exit(0)
while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
    time.sleep(0.05)
print('{"install": [{"metadata": {"name": "idna", "version": "3.10"}}]}')
'''

CALLER = r'''
import sys
from envdoctor.fixes.combined import resolve_dry_run
from envdoctor.processes import adopt_orphans

adopt_orphans()  # as envdoctor's command line does (launch.main)

class Installer:
    name = "pip"
    def dry_run_argv(self, request):
        return [sys.executable, "-c", sys.argv[1], sys.argv[2]]

class Context:
    def installer(self):
        return Installer()

print(resolve_dry_run(Context(), None))
'''


def test_a_dry_run_whose_helper_keeps_stdout_open_ends_with_the_installer(tmp_path):
    import os
    import subprocess
    import sys
    import time

    pid_file = tmp_path / "helper.pid"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CALLER, INSTALLER, str(pid_file)], capture_output=True, text=True,
                          timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(True, 'would install idna 3.10')"
    assert elapsed < 60  # the helper sleeps 600 s: waiting for it would have run into the timeout above
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(helper, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(helper, 9)
        raise AssertionError(f"the helper {helper} outlived the dry run")
