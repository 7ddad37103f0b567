"""The package states ranges, the locks pin them: every lock satisfies pyproject.toml's ranges
where it applies, the oldest lock sits on the lower bounds, and the commands that regenerate the
locks are the Makefile's."""

import re
import tomllib

import pytest
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REQUIREMENTS = REPO / "requirements"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

LINUX = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
         "os_name": "posix", "python_version": "3.11", "python_full_version": "3.11.7",
         "implementation_name": "cpython", "platform_python_implementation": "CPython"}
MAC = {**LINUX, "sys_platform": "darwin", "platform_system": "Darwin",
       "platform_machine": "arm64"}
LINUX_312 = {**LINUX, "python_version": "3.12", "python_full_version": "3.12.3"}
PLATFORMS = {"linux": LINUX, "mac": MAC, "linux, Python 3.12": LINUX_312}


def pins(lock: str, environment: dict) -> dict[str, Version]:
    """The exact versions `lock` installs where `environment`'s markers hold."""
    found = {}
    for line in (REQUIREMENTS / lock).read_text().splitlines():
        if not line or line[0] in " #-":
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{lock}: {line} is not an exact pin"
            found[canonicalize_name(requirement.name)] = Version(spec.version)
    return found


def stated(extras: tuple[str, ...], environment: dict) -> list[Requirement]:
    """pyproject.toml's requirements (and `extras`') that apply in `environment`."""
    lines = [*PROJECT["dependencies"],
             *(line for extra in extras for line in PROJECT["optional-dependencies"][extra])]
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements
            if r.marker is None or r.marker.evaluate({**environment, "extra": ""})]


# tensorflow-cpu is the same TensorFlow in the CPU lock on Linux x86_64.
STANDS_IN = {("lock.txt", "linux"): {"tensorflow": "tensorflow-cpu"},
             ("lock.txt", "linux, Python 3.12"): {"tensorflow": "tensorflow-cpu"}}


@pytest.mark.parametrize("lock, extras, platform", [
    ("lock.txt", ("lab", "dev"), "linux"),
    ("lock.txt", ("lab", "dev"), "mac"),
    ("lock.txt", ("lab", "dev"), "linux, Python 3.12"),
    ("lock-gpu.txt", ("gpu", "lab", "dev"), "linux"),
    ("lock-gpu.txt", ("gpu", "lab", "dev"), "linux, Python 3.12"),
    ("oldest.txt", ("lab", "dev"), "linux"),
])
def test_each_lock_pins_every_stated_requirement_within_its_range(lock, extras, platform):
    environment = PLATFORMS[platform]
    pinned = pins(lock, environment)
    swap = STANDS_IN.get((lock, platform), {})
    for requirement in stated(extras, environment):
        name = canonicalize_name(swap.get(requirement.name, requirement.name))
        assert name in pinned, f"{lock} ({platform}) does not pin {requirement}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} ({platform}) pins {name}=={pinned[name]}, outside {requirement}")


def test_the_cpu_lock_never_installs_two_tensorflows_and_the_gpu_lock_brings_cuda():
    linux, mac = pins("lock.txt", LINUX), pins("lock.txt", MAC)
    assert "tensorflow-cpu" in linux and "tensorflow" not in linux
    assert "tensorflow" in mac and "tensorflow-cpu" not in mac
    gpu = pins("lock-gpu.txt", LINUX)
    assert "tensorflow-cpu" not in gpu and "nvidia-cudnn-cu12" in gpu
    # The CPU and GPU builds are the same release, with the same Keras and numpy.
    assert gpu["tensorflow"] == linux["tensorflow-cpu"]
    assert all(gpu[name] == linux[name] for name in ("keras", "numpy", "pandas"))


@pytest.mark.parametrize("platform", ["linux", "linux, Python 3.12"])
def test_the_gpu_lock_differs_from_the_cpu_lock_only_by_the_cuda_build(platform):
    cpu, gpu = pins("lock.txt", PLATFORMS[platform]), pins("lock-gpu.txt", PLATFORMS[platform])
    differ = {name for name in cpu.keys() & gpu.keys() if cpu[name] != gpu[name]}
    assert not differ, {name: (cpu[name], gpu[name]) for name in differ}
    assert cpu.keys() - gpu.keys() == {"tensorflow-cpu"}
    extra = gpu.keys() - cpu.keys()
    assert "tensorflow" in extra
    assert all(name.startswith("nvidia-") for name in extra - {"tensorflow"}), extra


def lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return max(bounds) if bounds else None


def test_the_oldest_lock_is_every_direct_requirement_at_its_lower_bound():
    pinned = pins("oldest.txt", LINUX)
    for requirement in stated(("lab", "dev"), LINUX):
        bound = lower_bound(requirement)
        assert bound is not None, f"{requirement} states no lower bound to test"
        assert pinned[canonicalize_name(requirement.name)] == bound, (
            f"oldest.txt pins {requirement.name}=={pinned[canonicalize_name(requirement.name)]}"
            f", not its lower bound {bound}")


def test_the_oldest_stack_is_about_what_colab_shipped_in_2025():
    pinned = pins("oldest.txt", LINUX)
    assert pinned["tensorflow"] <= Version("2.19.0") and pinned["keras"] <= Version("3.10.0")
    assert pinned["numpy"] <= Version("2.0.2") and pinned["pandas"] <= Version("2.2.2")


def makefile_recipe(target: str) -> str:
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"the Makefile has no {target} target"
    return match.group(1)


def normalised(command: str) -> str:
    command = command.replace("$(VENV)/bin/uv", "uv").replace("$(if $(UPGRADE),--upgrade)", "")
    return " ".join(command.split())


@pytest.mark.parametrize("lock", ["lock.txt", "lock-gpu.txt", "oldest.txt"])
def test_each_lock_is_what_make_lock_would_write(lock):
    header = (REQUIREMENTS / lock).read_text().splitlines()[:2]
    assert header[0].startswith("# This file was autogenerated by uv"), header
    command = normalised(header[1].lstrip("# "))
    recipe = [normalised(line) for line in makefile_recipe("lock").splitlines()]
    assert command in recipe, f"{lock} was written by `{command}`, which `make lock` does not run"


def test_make_installs_the_lock_and_the_bundle_without_its_own_resolution():
    recipe = makefile_recipe("$(STAMP)")
    assert "pip install --progress-bar on -r $(LOCK)" in recipe
    assert "--no-deps -e ." in recipe  # the lock already holds every dependency
    assert re.search(r"^LOCK\s*:=\s*requirements/lock\$\(if .*-gpu\)\.txt",
                     (REPO / "Makefile").read_text(), re.M)


def test_environment_yml_installs_the_same_lock_on_the_same_python():
    text = (REPO / "environment.yml").read_text()
    assert "- -r requirements/lock.txt" in text
    assert PROJECT["requires-python"] == ">=3.11" and "python=3.11" in text

