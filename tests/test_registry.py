"""Registry: names, tags, wildcards, deprecations, families, errors."""

from __future__ import annotations

import pytest
import torch

import affectzoo
from affectzoo.errors import CheckpointError, UnknownModelError
from affectzoo.models.test_models import TinyRegressor


def test_bare_name_gives_default_first_tag():
    model = affectzoo.create_model("test_regressor")
    assert model.pretrained_cfg.name == "test_regressor.synthetic"
    assert isinstance(model, TinyRegressor)


def test_tag_selects_its_model_args():
    assert affectzoo.create_model("test_regressor.wide").init_args["hidden"] == 16
    assert affectzoo.create_model("test_regressor.synthetic").init_args["hidden"] == 8


def test_overrides_change_arguments():
    model = affectzoo.create_model("test_regressor", hidden=4)
    assert model.init_args["hidden"] == 4
    assert model.head.in_features == 8


def test_untrained_model_does_not_claim_weights_metadata():
    cfg = affectzoo.create_model("test_regressor").pretrained_cfg
    assert not cfg.has_weights and cfg.metrics == {} and cfg.sha256 is None


def test_list_models_fnmatch_and_exclude():
    assert "test_regressor" in affectzoo.list_models()
    assert affectzoo.list_models("test_*") == ["test_regressor"]
    assert affectzoo.list_models("nothing*") == []
    assert affectzoo.list_models("test_*", exclude="test_reg*") == []


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownModelError, match="test_regressor"):
        affectzoo.create_model("test_regresor")
    with pytest.raises(UnknownModelError, match="test_regressor.synthetic"):
        affectzoo.create_model("test_regressor.nope")


def test_deprecated_name_maps_to_new_with_warning(isolated_registry):
    affectzoo.register_deprecated("old_tiny", "test_regressor.wide")
    with pytest.warns(FutureWarning, match="old_tiny.*deprecated.*test_regressor.wide"):
        model = affectzoo.create_model("old_tiny")
    assert model.init_args["hidden"] == 16


def test_register_model_decorator(isolated_registry):
    @affectzoo.register_model(family="mpjudge", cfgs={"a": {"model_args": {"hidden": 2}}, "b": {}})
    def tiny_family_member(**kwargs):
        return TinyRegressor(**kwargs)

    assert "tiny_family_member" in affectzoo.list_models("tiny_*")
    assert affectzoo.create_model("tiny_family_member").pretrained_cfg.tag == "a"
    assert isolated_registry.model_family("tiny_family_member") == "mpjudge"
    with pytest.raises(ValueError, match="family must be an identifier"):
        affectzoo.register_model(family="not a name")(lambda: None)
    with pytest.raises(ValueError, match="unknown task"):
        affectzoo.register_model(tasks=["dance"])(lambda: None)


def test_pretrained_listing_comes_from_the_index(checkpoints_dir, tiny_model):
    from affectzoo import _index

    assert affectzoo.list_pretrained() == []
    folder = affectzoo.save_pretrained(tiny_model, checkpoints_dir / "tiny")
    cfg = affectzoo.PretrainedCfg.from_dict(affectzoo._folder.read_config(folder)["pretrained_cfg"])
    _index.add_to_index(cfg.replace(file="tiny"), recommended_for="mpjudge")
    assert affectzoo.list_pretrained() == ["test_regressor.synthetic"]
    assert affectzoo.list_models("test_*", pretrained=True) == ["test_regressor.synthetic"]
    # the family alias gives the recommended shipped weights, whatever their architecture
    loaded = affectzoo.load("mpjudge")
    assert isinstance(loaded, TinyRegressor) and not loaded.training
    for key, value in tiny_model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)


def test_family_without_weights_says_so(checkpoints_dir, isolated_registry):
    @affectzoo.register_model(family="newpaper")
    def newpaper_base(**kwargs):
        return TinyRegressor(**kwargs)

    with pytest.raises(CheckpointError, match="the newpaper family ships no trained weights yet"):
        affectzoo.load("newpaper")
    with pytest.raises(UnknownModelError, match="unknown model 'nosuchpaper'"):
        affectzoo.load("nosuchpaper")


def test_load_of_an_untrained_tag_is_a_clear_error(checkpoints_dir):
    with pytest.raises(CheckpointError, match="(?s)has no trained weights.*create_model"):
        affectzoo.load("test_regressor.wide")
