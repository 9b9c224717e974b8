# Experiment: import torch once, then import each other stack member in a forked child at the
# same time (no CUDA initialised before the fork); wall time against `import torch` alone.
import os, sys, time
mods = sys.argv[1].split(",")
start = time.perf_counter()
import torch  # noqa
t_torch = time.perf_counter() - start
pids = {}
for m in mods:
    if m == "torch":
        continue
    pid = os.fork()
    if pid == 0:
        import importlib
        try:
            importlib.import_module(m)
        except BaseException:
            os._exit(1)
        os._exit(0)
    pids[pid] = m
cuda = torch.cuda.is_available() and (torch.ones(1, device="cuda") + 1).item()
for pid in list(pids):
    os.waitpid(pid, 0)
print(f"torch {t_torch:.2f} s; all members in parallel children done at {time.perf_counter() - start:.2f} s; cuda {cuda}")
os._exit(0)
