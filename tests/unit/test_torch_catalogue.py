"""The torch catalogue (vocabulary/torch_catalogue.py) and the build options for GPU001/GPU002/GPU003
(vocabulary/torch_build_choice.py), on facts: which builds exist, which fit, in which order."""

from __future__ import annotations

import pytest

from envdoctor.engine import run_checks
from envdoctor.errors import PluginError
from envdoctor.registry import load_registry
from envdoctor.vocabulary.torch_build_choice import build_options
from envdoctor.vocabulary.torch_catalogue import build_of, load_catalogue
from tests.helpers.facts import H100, dist, make_facts, nvidia, torch_version_py

V100 = ("Tesla V100-SXM2-32GB", "7.0")
PYTORCH = "https://download.pytorch.org/whl/"


def machine(torch_version, *, cuda="13.0", driver="580.95.05", gpus=(H100,), dists=()):
    local = torch_version.split("+")[1]
    cuda_of_build = f"{local[2:-1]}.{local[-1]}" if local.startswith("cu") else None
    return make_facts(dists=[dist("torch", torch_version), *dists],
                      stack={"torch": torch_version_py(torch_version, cuda=cuda_of_build),
                             "nvidia": nvidia(*gpus, driver=driver, cuda=cuda)})


def requirements(facts, catalogue=None):
    return [option.requirements for option in build_options(facts, catalogue or load_catalogue())]


def test_build_of_names_cuda_arch_list_and_index():
    build = build_of("2.9.0+cu126")
    assert (build.cuda, build.rocm, build.index_url) == ("12.6", None, PYTORCH + "cu126")
    assert build.arch_list == ("5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0")
    assert build_of("2.9.0").build == "cu128"  # PyPI's plain wheel: the default CUDA build of that release
    assert build_of("2.11.0+rocm6.4") is None and build_of("1.0.0+cu126") is None
    assert [b.build for b in load_catalogue().builds_of("2.11.0")] == ["cu126", "cu128", "cu130", "rocm7.1", "rocm7.2", "cpu"]


@pytest.mark.parametrize("driver, platform, cuda", [
    ("535.104.05", "linux-x86_64", "12.2"), ("570.86.15", "linux-x86_64", "12.8"), ("580.95.05", "linux-x86_64", "13.0"),
    ("560.70", "win-amd64", "12.5"), ("560.76", "win-amd64", "12.6"), ("450.80.02", "linux-x86_64", None),
])
def test_newest_cuda_a_driver_runs_by_platform(driver, platform, cuda):
    assert load_catalogue().newest_cuda_for(driver, platform) == cuda


def test_same_release_first_newest_cuda_first_then_nearest_releases():
    # driver 570 (CUDA 12.8), torch 2.11.0+cu130: 2.11.0's cu128 and cu126, then 2.10.0/2.12.0/2.9.1
    options = requirements(machine("2.11.0+cu130", cuda="12.8", driver="570.86.15"))
    assert options[:2] == [("torch==2.11.0+cu128",), ("torch==2.11.0+cu126",)]
    assert options[2:] == [("torch==2.12.0+cu126",), ("torch==2.10.0+cu128",), ("torch==2.12.1+cu126",)]


def test_driver_535_has_no_build_of_2_13_and_moves_to_the_nearest_release_with_one():
    # CUDA 12.2: no 12.x build of 2.8-2.13 is that old; 2.7.1's cu118 is the nearest that runs
    options = requirements(machine("2.13.0+cu130", cuda="12.2", driver="535.104.05"))
    assert options == [("torch==2.7.1+cu118",), ("torch==2.7.0+cu118",), ("torch==2.6.0+cu118",)]


def test_an_old_gpu_gets_a_build_whose_arch_list_has_it():
    # a V100 (sm_70) is in 2.11.0's cu126 arch list, not in its cu128 one (2.11 dropped sm_70 there,
    # pytorch issue 182250) nor in CUDA 13's; 2.10.0's cu128 still has it
    options = requirements(machine("2.11.0+cu130", gpus=(V100,)))
    assert options[:3] == [("torch==2.11.0+cu126",), ("torch==2.12.0+cu126",), ("torch==2.10.0+cu128",)]


def test_companions_move_with_the_same_label_and_an_engine_only_when_its_pin_requires():
    facts = machine("2.9.0+cu130", cuda="12.8", driver="570.86.15", dists=[
        dist("torchvision", "0.24.0+cu130", requires=["torch==2.9.0"]), dist("vllm", "0.11.1", requires=["torch==2.9.0"])])
    options = requirements(facts)
    # same release: vLLM 0.11.1's torch==2.9.0 accepts 2.9.0+cu128, so vLLM stays
    assert options[0] == ("torch==2.9.0+cu128", "torchvision==0.24.0+cu128")
    # another release: vLLM moves to the release that pins it (0.11.0 pins torch 2.8.0)
    assert ("torch==2.8.0+cu128", "torchvision==0.23.0+cu128", "vllm==0.11.0") in options


def test_an_engine_the_catalogue_cannot_move_keeps_torch_release():
    facts = machine("2.13.0+cu130", cuda="12.2", driver="535.104.05",
                    dists=[dist("sglang", "9.9.9", requires=["torch==2.13.0"])])
    assert requirements(facts) == []


def test_a_user_rule_file_adds_builds_and_points_labels_at_a_private_index(tmp_path):
    rules = tmp_path / "private.toml"
    rules.write_text('[[torch_index]]\nbuild = "cu126"\nurl = "https://mirror.example/torch/{build}"\n\n'
                     '[[torch_build]]\nreleases = ["2.13.0"]\nbuild = "cu128"\ncuda = "12.8"\n'
                     'arch_list = "8.0;9.0"\nindex_url = "https://private.example/simple"\n')
    catalogue = load_catalogue([str(rules)])
    options = build_options(machine("2.13.0+cu130", cuda="12.8", driver="570.86.15"), catalogue)
    assert [(o.requirements, o.build.index_url) for o in options[:2]] == [
        (("torch==2.13.0+cu128",), "https://private.example/simple"),
        (("torch==2.13.0+cu126",), "https://mirror.example/torch/cu126")]
    assert load_catalogue().build_of("2.13.0+cu128") is None  # the shipped catalogue is untouched


def test_a_user_rule_file_with_an_unknown_key_is_one_clear_error(tmp_path):
    rules = tmp_path / "typo.toml"
    rules.write_text('[[torch_build]]\nreleases = ["2.13.0"]\nbuild = "cu128"\ncudaa = "12.8"\n')
    with pytest.raises(PluginError, match=r"typo.toml: \[\[torch_build\]\] has unknown key\(s\) cudaa"):
        load_catalogue([str(rules)])


@pytest.mark.parametrize("code, facts, first", [
    ("GPU001", machine("2.11.0+cu130", cuda="12.8", driver="570.86.15"), "torch==2.11.0+cu128"),
    ("GPU002", machine("2.11.0+cu130", gpus=(V100,)), "torch==2.11.0+cu126"),
    ("GPU003", machine("2.13.0+cpu"), "torch==2.13.0+cu130"),
])
def test_gpu_findings_propose_the_best_build_as_a_reinstall(code, facts, first):
    (finding,) = run_checks([load_registry().by_code()[code]], facts).findings
    assert finding.fix.kind == "reinstall"
    assert finding.fix.install.requirements == (first,)
    assert finding.fix.install.index_url == PYTORCH + first.split("+")[1]
    assert finding.fix.parameters["options"][0] == {"summary": finding.fix.parameters["options"][0]["summary"],
                                                    "requirements": [first], "index_url": finding.fix.install.index_url}


def test_without_a_fitting_build_the_fix_stays_manual():
    # CUDA 11.x driver: no build of the catalogue's releases runs on it
    (finding,) = run_checks([load_registry().by_code()["GPU001"]],
                            machine("2.11.0+cu130", cuda="11.4", driver="470.57.02")).findings
    assert (finding.fix.kind, finding.fix.install) == ("manual", None)
    assert finding.fix.summary == "upgrade the NVIDIA driver to one that supports CUDA 13.0"


def test_torchaudio_2_11_requires_no_torch_and_stays_while_torchvision_moves():
    facts = machine("2.13.0+cu130", cuda="12.8", driver="570.86.15", dists=[
        dist("torchvision", "0.28.0+cu130", requires=["torch==2.13.0"]), dist("torchaudio", "2.11.0"),
        dist("sglang", "0.5.99", requires=["torch==2.13.0", "torchaudio==2.11.0"])])
    assert requirements(facts) == [("torch==2.13.0+cu126", "torchvision==0.28.0+cu126")]


def test_a_release_without_known_builds_moves_to_the_nearest_with_torchvision_of_that_release():
    # no build of 2.14.0 is in the catalogue: 2.13.0's builds, torchvision 0.28.0 with them
    facts = machine("2.14.0+cu130", cuda="12.8", driver="570.86.15",
                    dists=[dist("torchvision", "0.29.0+cu130", requires=["torch==2.14.0"])])
    assert requirements(facts)[0] == ("torch==2.13.0+cu126", "torchvision==0.28.0+cu126")
