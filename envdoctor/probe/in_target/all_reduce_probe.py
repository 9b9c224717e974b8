# One rank of the --deep all-reduce: `python -B -c BOOTSTRAP NONCE OPTIONS` (probe/
# gpu_runtime_probes.py starts one per GPU, all at once, as torchrun would).
#
# Runs inside the target interpreter with the target's torch (a deep probe: it imports what
# it tests).  Standard library otherwise, 3.8 syntax.  Rank r contributes r + 1; after
# dist.all_reduce every rank must hold 1 + 2 + ... + world_size.  Rank 0 also reports the
# peer-access matrix (torch.cuda.can_device_access_peer) for the nccl backend.  The backend
# is nccl on GPUs; the tests run the same code with gloo on CPU.
#
# OPTIONS (JSON): rank, world_size, port, backend, timeout (seconds, for the process group);
# across nodes (`fleet --ray --deep`) also address (the rendezvous host, rank 0's node) and
# local_rank (the GPU on this node).
import json
import sys
import time
import traceback

from .bytecode import write_bytecode_outside
from .emit import write_framed


def _peer_access(torch):
    count = torch.cuda.device_count()
    return [[i != j and bool(torch.cuda.can_device_access_peer(i, j)) for j in range(count)] for i in range(count)]


def _last_lines(text, count=4):
    return " | ".join([line for line in text.strip().splitlines() if line.strip()][-count:])


def run_rank(options):
    import datetime

    import torch
    import torch.distributed as dist

    rank, size, backend = options["rank"], options["world_size"], options["backend"]
    local_rank = options.get("local_rank", rank)
    result = {"rank": rank}
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
        if rank == 0:
            result["peer_access"] = _peer_access(torch)
    device = "cuda:%d" % local_rank if backend == "nccl" else "cpu"
    started = time.perf_counter()
    address = options.get("address", "127.0.0.1")
    dist.init_process_group(backend, init_method="tcp://%s:%d" % (address, options["port"]), rank=rank,
                            world_size=size, timeout=datetime.timedelta(seconds=options["timeout"]))
    try:
        value = torch.tensor([float(rank + 1)], device=device)
        dist.all_reduce(value)
        if backend == "nccl":
            torch.cuda.synchronize()
        result["observed"] = float(value.item())
        result["seconds"] = round(time.perf_counter() - started, 3)
    finally:
        dist.destroy_process_group()
    return result


def main(argv):
    nonce, options = argv[1], json.loads(argv[2])
    write_bytecode_outside(options.get("bytecode_prefix"))
    try:
        result = run_rank(options)
    except Exception as exc:  # the rank's own error is the answer (NCCL's text is in it and on stderr)
        tail = _last_lines(traceback.format_exc(), 2)
        result = {"rank": options.get("rank"), "error": "%s: %s" % (type(exc).__name__, _last_lines(str(exc)) or tail)}
    write_framed(nonce, json.dumps(result))
    sys.stdout.flush()
