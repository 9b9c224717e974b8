"""Fixtures shared by the end-to-end tests on stand-in GPU machines (test_gpu_standins.py,
test_env_variables.py): one set of torch venvs for the session, and fresh stand-in machines."""

from __future__ import annotations

import pytest

from tests.helpers.standins import StandinMachine, TorchVenvs


@pytest.fixture(scope="session")
def torch_venvs(tmp_path_factory) -> TorchVenvs:
    """Real venvs, one per torch build, made on first use and shared by every module of the session."""
    return TorchVenvs(tmp_path_factory.mktemp("torch-builds"))


@pytest.fixture
def new_machine(tmp_path, tmp_path_factory):
    """new_machine(gpus): a fresh stand-in machine under tmp_path with an NvidiaDriver's or AmdGpus' GPUs."""
    libraries = tmp_path_factory.getbasetemp() / "standin-libraries"  # compiled once per session
    counter = iter(range(10))
    return lambda gpus: StandinMachine(tmp_path / f"machine{next(counter)}", libraries).with_gpus(gpus)
