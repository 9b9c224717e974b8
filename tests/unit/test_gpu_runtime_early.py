"""--deep's JIT build and all-reduce start with the imports; torch's answer still decides.

gpu_runtime() keeps a run started early only when torch's own import agrees with what the run
assumed (CUDA works; as many GPUs as it has ranks), and ends the others. The runs here are
stand-ins that record what happened to them: starting real ones needs GPUs (the H200 transcript,
docs/transcripts/, shows them). That a real run finished before its late collection gives its
answer is tests/e2e/test_gpu_runs_alongside.py."""

from types import SimpleNamespace

from envdoctor.probe.gpu_runtime_probes import gpu_runtime, start_gpu_runtime


class StartedRun:
    def __init__(self, world_size=None, document=None):
        self.world_size, self.document, self.cancelled, self.finished = world_size, document, False, False

    def finish(self):
        self.finished = True
        return dict(self.document)

    def cancel(self):
        self.cancelled = True


FACTS = SimpleNamespace(toolchain=None)  # no toolkit: nothing new is started in these cases
TARGET = SimpleNamespace(python="/nonexistent/python", cwd="/")


def test_runs_started_early_are_ended_when_torch_sees_no_gpu():
    build, reduce = StartedRun(document={"outcome": "ok"}), StartedRun(world_size=2)
    found = gpu_runtime(FACTS, TARGET, 5, {"cuda_available": False}, started={"jit_build": build, "multi_gpu": reduce})
    assert found == {}
    assert build.cancelled and reduce.cancelled and not build.finished


def test_an_all_reduce_for_another_number_of_gpus_is_ended_and_not_reported():
    reduce = StartedRun(world_size=2, document={"outcome": "ok"})
    found = gpu_runtime(FACTS, TARGET, 5, {"cuda_available": True, "device_count": 1}, started={"multi_gpu": reduce})
    assert found == {} and reduce.cancelled and not reduce.finished


def test_runs_torch_agrees_with_are_collected():
    build = StartedRun(document={"outcome": "ok", "seconds": 1.0})
    found = gpu_runtime(FACTS, TARGET, 5, {"cuda_available": True, "device_count": 1}, started={"jit_build": build})
    assert build.finished and found == {"jit_build": {"outcome": "ok", "seconds": 1.0}}


def test_nothing_starts_early_without_nvidia_gpus_or_a_cuda_torch():
    no_gpu = SimpleNamespace(stack=SimpleNamespace(nvidia_gpus=(), torch=SimpleNamespace(cuda="13.0")))
    cpu_torch = SimpleNamespace(stack=SimpleNamespace(nvidia_gpus=(object(), object()), torch=SimpleNamespace(cuda=None)))
    assert start_gpu_runtime(no_gpu, TARGET, 5) == {}
    assert start_gpu_runtime(cpu_torch, TARGET, 5) == {}
