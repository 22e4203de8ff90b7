"""PretrainedCfg schema: every weights-carrying cfg is complete and tells the truth about its file."""

from __future__ import annotations

import pytest

import affectzoo
from affectzoo import _folder, _index, _registry
from affectzoo._io import file_sha256
from affectzoo._pretrained import PretrainedCfg


def schema_problems(name: str) -> list[str]:
    """What is wrong with the registered pretrained cfg ``name`` (empty when it is sound)."""
    cfg = affectzoo.get_pretrained_cfg(name)
    problems = [f"missing {field}" for field in cfg.missing_fields()]
    model = affectzoo.load(name)
    if cfg.num_params != model.num_params:
        problems.append(f"num_params {cfg.num_params} but the model has {model.num_params}")
    folder = _index.local_weights_dir(cfg)
    if folder is not None:
        weights = folder / _folder.WEIGHTS_NAME
        if cfg.file_size != weights.stat().st_size:
            problems.append(f"file_size {cfg.file_size} but {weights} has {weights.stat().st_size} bytes")
        if cfg.sha256 != file_sha256(weights):
            problems.append("sha256 differs from the file")
        if _without_location(_folder.read_config(folder)["pretrained_cfg"]) != _without_location(cfg.to_dict()):
            problems.append("index entry and the folder's config.json disagree")
    return problems


def _without_location(cfg: dict) -> dict:
    """Where the weights live is the index's business, family and tasks the code's (the registry
    adds them); everything else must agree with the folder."""
    return {k: v for k, v in cfg.items() if k not in ("file", "hf_hub_id", "hf_hub_revision", "family", "tasks")}


@pytest.mark.parametrize("name", affectzoo.list_pretrained())
def test_every_shipped_pretrained_cfg_is_complete_and_true(name):
    assert schema_problems(name) == []


@pytest.mark.parametrize("name", [c.name for c in _registry._all_cfgs().values()])
def test_every_registered_cfg_round_trips_through_json(name):
    cfg = affectzoo.get_pretrained_cfg(name)
    assert PretrainedCfg.from_dict(cfg.to_dict()) == cfg
    assert cfg.architecture in affectzoo.list_models()


def _indexed_tiny(checkpoints_dir, model, **changes) -> str:
    folder = affectzoo.save_pretrained(model, checkpoints_dir / "tiny", description="tiny", preprocess={"x": 1},
                                       output_names=("score",), metrics={"synthetic": {"srcc": 0.5}},
                                       metric_commands={"synthetic": "affectzoo test --config t.yaml"},
                                       training_data="synthetic", held_out="seed 1", recipe="t.yaml",
                                       git_revision="abc", license="Apache-2.0")
    cfg = PretrainedCfg.from_dict(_folder.read_config(folder)["pretrained_cfg"]).replace(file="tiny", **changes)
    _index.add_to_index(cfg)
    return cfg.name


def test_schema_check_accepts_a_sound_checkpoint(checkpoints_dir, tiny_model):
    assert schema_problems(_indexed_tiny(checkpoints_dir, tiny_model)) == []


def test_schema_check_catches_wrong_counts_and_missing_fields(checkpoints_dir, tiny_model):
    name = _indexed_tiny(checkpoints_dir, tiny_model, num_params=1, license="", metric_commands={})
    problems = schema_problems(name)
    assert "missing license" in problems and "missing metric_commands" in problems
    assert "missing metric_commands['synthetic']" in problems
    assert any(p.startswith("num_params 1 but the model has 393") for p in problems)


def test_the_card_shortens_id_vocabularies_but_shows_short_arguments():
    from affectzoo._card import model_card

    card = model_card(PretrainedCfg(architecture="emi_ncf"), "x.Y",
                      {"users": [f"clip-{k}" for k in range(500)], "dim": 32, "encoders": ["a", "b"]})
    assert "clip-0" in card and "clip-499" not in card and "(500 in all)" in card
    assert "'dim': 32" in card and "['a', 'b']" in card
