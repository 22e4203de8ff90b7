"""The distributed path on CPU: ``strategy: ddp, devices: 2`` (gloo) gives the single-process metrics."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import run_cli, write_recipe

DDP = {"devices": 2, "strategy": "ddp"}


def last_row(metrics_csv: Path) -> dict[str, float]:
    rows = [r for r in csv.DictReader(metrics_csv.open()) if r.get("val/srcc")]
    return {k: float(v) for k, v in rows[-1].items() if k.startswith("val/")}


def test_ddp_fit_and_validate_match_a_single_process(tmp_path):
    # 11 validation items over 2 processes: a padding sampler would count 12
    fit = write_recipe(tmp_path / "fit.yaml", trainer={**DDP, "max_epochs": 2}, log_dir=tmp_path / "fit")
    run_cli("fit", "--config", str(fit), cwd=tmp_path)
    (ckpt,) = (tmp_path / "fit/tiny/version_0/checkpoints").glob("*.ckpt")
    fit_metrics = last_row(tmp_path / "fit/tiny/version_0/metrics.csv")

    single = write_recipe(tmp_path / "one.yaml", log_dir=tmp_path / "one")
    run_cli("validate", "--config", str(single), "--ckpt_path", str(ckpt), cwd=tmp_path)
    single_metrics = last_row(tmp_path / "one/tiny/version_0/metrics.csv")

    ddp = write_recipe(tmp_path / "ddp.yaml", trainer=DDP, log_dir=tmp_path / "ddp")
    run_cli("validate", "--config", str(ddp), "--ckpt_path", str(ckpt), cwd=tmp_path)
    ddp_metrics = last_row(tmp_path / "ddp/tiny/version_0/metrics.csv")

    assert single_metrics["val/count"] == ddp_metrics["val/count"] == fit_metrics["val/count"] == 11
    assert set(single_metrics) == {"val/count", "val/srcc", "val/plcc", "val/mae", "val/rmse"}
    for name, value in single_metrics.items():
        assert ddp_metrics[name] == pytest.approx(value, abs=1e-5), name
        assert fit_metrics[name] == pytest.approx(value, abs=1e-5), name
