"""Shared fixtures: isolated registry and checkpoint index, a trained tiny checkpoint, CLI runners."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import affectzoo
from affectzoo import _registry

BIN = Path(sys.executable).parent
#: The revision tests pretend to run at: exports refuse weights from a dirty work tree, and a
#: developer's checkout is often dirty while the tests run (CI's clean clone never is).
CLEAN_REVISION = "0123456789abcdef0123456789abcdef01234567"
REAL_CODE_REVISION = importlib.import_module("affectzoo.models.base").code_revision


@pytest.fixture(autouse=True)
def clean_revision(monkeypatch):
    monkeypatch.setattr("affectzoo.models.base.code_revision", lambda: CLEAN_REVISION)


@pytest.fixture
def isolated_registry():
    """Let a test register architectures and deprecations without leaking them."""
    saved = [(table, dict(table)) for table in (_registry._architectures, _registry._builders, _registry._deprecated)]
    yield _registry
    for table, copy in saved:
        table.clear(), table.update(copy)


@pytest.fixture
def checkpoints_dir(tmp_path, monkeypatch):
    """An empty private checkpoint index in place of the package's ``checkpoints/``."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    monkeypatch.setenv("AFFECTZOO_CHECKPOINTS", str(folder))
    return folder


@pytest.fixture
def tiny_model():
    """A tiny regressor with deterministic (seeded) random weights."""
    import torch

    torch.manual_seed(0)
    return affectzoo.create_model("test_regressor")


def write_recipe(path: Path, trainer: dict | None = None, model: dict | None = None, data: dict | None = None,
                 log_dir: Path | None = None) -> Path:
    """A LightningCLI recipe for the tiny model on synthetic data."""
    recipe = {
        "seed_everything": 0,
        "model": {"class_path": "affectzoo.models.test_models.TinyRegressor",
                  "init_args": {"hidden": 8, "lr": 0.01, **(model or {})}},
        "data": {"class_path": "affectzoo.data.SyntheticPairsDataModule",
                 "init_args": {"batch_size": 4, "num_train": 16, "num_val": 11, **(data or {})}},
        "trainer": {"accelerator": "cpu", "devices": 1, "max_epochs": 1, "enable_model_summary": False,
                    "enable_progress_bar": False,
                    "logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                               "init_args": {"save_dir": str(log_dir or path.parent / "runs"), "name": "tiny"}},
                    **(trainer or {})},
    }
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def run_cli(*args: str, script: str = "affectzoo", cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a console script of this venv; fail the test with its output when it exits non-zero."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    result = subprocess.run([str(BIN / script), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{script} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def trained_ckpt(tmp_path_factory) -> Path:
    """A Lightning checkpoint of the tiny model after one real epoch of ``affectzoo fit``."""
    from affectzoo.cli import run_lightning

    folder = tmp_path_factory.mktemp("trained")
    recipe = write_recipe(folder / "recipe.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("affectzoo.models.base.code_revision", lambda: CLEAN_REVISION)
        run_lightning(["fit", "--config", str(recipe)])
    (ckpt,) = folder.glob("runs/tiny/version_0/checkpoints/*.ckpt")
    return ckpt
