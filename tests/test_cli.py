"""The ``affectzoo`` / ``lightning`` command line: help, zoo commands, LightningCLI recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from affectzoo.cli import main, run_lightning
from conftest import run_cli, write_recipe

COMMANDS = ("fit", "validate", "test", "predict", "list", "info", "export", "publish", "judge", "va", "index", "recommend",
            "palette", "data", "cache")


def test_help_lists_lightning_and_zoo_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    in_process = capsys.readouterr().out
    installed = run_cli("--help", script="lightning").stdout  # the console script exists and is ours
    for out in (in_process, installed):
        for command in COMMANDS:
            assert f"    {command} " in out, f"{command} missing from --help"


def test_list_and_info(capsys):
    assert main(["list"]) == 0
    assert "test_regressor" in capsys.readouterr().out
    assert main(["list", "nothing*"]) == 0
    assert "no model matches" in capsys.readouterr().err
    assert main(["info", "test_regressor.wide"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "test_regressor.wide" and info["pretrained_cfg"]["model_args"]["hidden"] == 16
    assert info["num_params"] == 1+16*3*9+16+16+16+16*16+16+2*16  # conv w+b, bn w+b, linear w+b, head w+b
    assert main(["info", "no_such_model"]) == 2
    assert "unknown model 'no_such_model'" in capsys.readouterr().err


def test_fit_fast_dev_run_with_interpolation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = write_recipe(tmp_path / "recipe.yaml", trainer={"fast_dev_run": True},
                          data={"batch_size": "${model.init_args.hidden}"})
    cli = run_lightning(["fit", "--config", str(recipe)])
    assert cli.trainer.global_step == 1, "fast_dev_run trained one batch"
    assert cli.datamodule.batch_size == 8, "${...} interpolation resolved"
    assert type(cli.model).__name__ == "TinyRegressor"


def test_fit_saves_resolved_config_and_seed(tmp_path):
    recipe = write_recipe(tmp_path / "recipe.yaml", data={"batch_size": "${model.init_args.hidden}"})
    run_lightning(["fit", "--config", str(recipe), "--seed_everything", "123"])
    saved = yaml.safe_load((tmp_path / "runs/tiny/version_0/config.yaml").read_text())
    assert saved["seed_everything"] == 123
    assert saved["data"]["init_args"]["batch_size"] == 8, "omegaconf interpolation resolved"
    assert saved["model"]["class_path"] == "affectzoo.models.test_models.TinyRegressor"


def test_lightning_script_runs_the_same_cli(tmp_path):
    recipe = write_recipe(tmp_path / "recipe.yaml", trainer={"max_steps": 2, "limit_val_batches": 1})
    run_cli("fit", "--config", str(recipe), script="lightning", cwd=tmp_path)
    assert list(tmp_path.glob("runs/tiny/version_0/checkpoints/*.ckpt"))


def test_export_index_list_info_publish_dry_run(tmp_path, trained_ckpt, monkeypatch, capsys):
    monkeypatch.setenv("AFFECTZOO_CHECKPOINTS", str(tmp_path / "checkpoints"))
    assert main(["export", str(trained_ckpt), "--out", str(tmp_path / "checkpoints/tiny"),
                 "--name", "test_regressor.synthetic", "--recipe", "affectzoo fit --config recipe.yaml",
                 "--index", "--recommended-for", "mpjudge"]) == 0
    out = capsys.readouterr().out
    assert "sha256" in out and "indexed as test_regressor.synthetic" in out
    index = json.loads((tmp_path / "checkpoints/index.json").read_text())
    assert index["recommended"] == {"mpjudge": "test_regressor.synthetic"}
    assert index["checkpoints"]["test_regressor.synthetic"]["file"] == "tiny"
    assert main(["list", "--pretrained"]) == 0
    assert capsys.readouterr().out.startswith("test_regressor.synthetic")
    assert main(["info", "test_regressor"]) == 0
    assert json.loads(capsys.readouterr().out)["pretrained_tags"] == ["test_regressor.synthetic"]
    assert main(["publish", "test_regressor.synthetic", "--repo-id", "org/tiny", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload" in out and "model.safetensors -> org/tiny" in out


def test_wandb_logger_runs_offline_by_default(tmp_path):
    recipe = write_recipe(tmp_path / "recipe.yaml", trainer={
        "max_steps": 1, "limit_val_batches": 1,
        "logger": [{"class_path": "affectzoo.loggers.WandbLogger", "init_args": {"save_dir": str(tmp_path)}}]})
    run_cli("fit", "--config", str(recipe), cwd=tmp_path, env={"WANDB_MODE": "", "WANDB_SILENT": "true"})
    assert list(tmp_path.glob("wandb/offline-run-*")), "an offline wandb run was written"


def test_export_records_test_metrics_from_a_csv(tmp_path, trained_ckpt, capsys):
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("epoch,step,test/srcc,test/mae,val/srcc\n0,0,,,0.1\n0,4,0.625,0.0625,\n")
    assert main(["export", str(trained_ckpt), "--out", str(tmp_path / "ck"), "--name", "test_regressor.synthetic",
                 "--metrics-csv", str(metrics), "--dataset", "synthetic", "--metrics-command", "affectzoo test X",
                 "--training-data", "synthetic pairs", "--license", "CC0"]) == 0
    import affectzoo

    cfg = affectzoo.load(tmp_path / "ck").pretrained_cfg
    assert cfg.metrics == {"synthetic": {"srcc": 0.625, "mae": 0.0625}}
    assert cfg.metric_commands == {"synthetic": "affectzoo test X"} and cfg.license == "CC0"
    card = (tmp_path / "ck" / "README.md").read_text()
    assert "| srcc | 0.6250 |" in card and "Reproduce: `affectzoo test X`" in card


def test_export_merges_benchmark_metrics_json(tmp_path, trained_ckpt):
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("epoch,step,test/srcc\n0,4,0.5\n")
    extra = tmp_path / "va.json"
    extra.write_text(json.dumps({"images test": {"metrics": {"valence_srcc": 0.25}, "command": "python b.py"}}))
    assert main(["export", str(trained_ckpt), "--out", str(tmp_path / "ck"), "--name", "test_regressor.synthetic",
                 "--metrics-csv", str(metrics), "--dataset", "pairs test", "--metrics-command", "affectzoo test X",
                 "--metrics-json", str(extra)]) == 0
    import affectzoo

    cfg = affectzoo.load(tmp_path / "ck").pretrained_cfg
    assert cfg.metrics == {"pairs test": {"srcc": 0.5}, "images test": {"valence_srcc": 0.25}}
    assert cfg.metric_commands["images test"] == "python b.py"
    extra.write_text(json.dumps({"images test": {"metrics": {"valence_srcc": "high"}}}))
    with pytest.raises(SystemExit, match="va.json: expected"):
        main(["export", str(trained_ckpt), "--out", str(tmp_path / "ck2"), "--metrics-json", str(extra)])


def test_lightning_script_parses_the_paper_recipe():
    recipe = Path(__file__).resolve().parent.parent / "recipes" / "mpjudge.yaml"
    out = run_cli("fit", "--config", str(recipe), "--print_config", script="lightning").stdout
    config = yaml.safe_load(out)
    assert config["model"]["class_path"] == "affectzoo.models.mpjudge.MPJudge"
    assert config["trainer"]["strategy"] == "ddp" and config["trainer"]["devices"] == 8
    assert config["data"]["init_args"]["batch_size"] * 8 == 1024
