"""Checkpoint folders: round trip, strict and safe loading, Lightning export, Hub cache, publish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import affectzoo
from affectzoo import _folder, _hub
from affectzoo._io import file_sha256
from affectzoo.errors import CheckpointError
from affectzoo.models.test_models import TinyRegressor
from conftest import CLEAN_REVISION, REAL_CODE_REVISION

INPUTS = (torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(1)),
          torch.randn(3, 16, generator=torch.Generator().manual_seed(2)))


def predictions(model):
    with torch.no_grad():
        return model.eval()(*INPUTS)


def test_save_load_round_trip_gives_identical_outputs(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt", training_data="synthetic")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    loaded = affectzoo.load(folder)
    torch.testing.assert_close(predictions(loaded), predictions(tiny_model))
    cfg = loaded.pretrained_cfg
    assert cfg.sha256 == file_sha256(folder / "model.safetensors")
    assert cfg.file_size == (folder / "model.safetensors").stat().st_size
    assert cfg.num_params == tiny_model.num_params and cfg.training_data == "synthetic"
    assert "# test_regressor.synthetic" in (folder / "README.md").read_text()


def test_every_local_source_form_loads_the_same_weights(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    expected = predictions(tiny_model)
    for source in (folder, str(folder / "model.safetensors"), f"local-dir:{folder}"):
        torch.testing.assert_close(predictions(affectzoo.load(source)), expected)


def test_load_overrides_non_shape_arguments(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    assert affectzoo.load(folder, lr=0.5).hparams.lr == 0.5


def _rewrite_weights(folder: Path, change) -> None:
    tensors = load_file(str(folder / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    config["pretrained_cfg"]["sha256"] = file_sha256(folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config))


def test_missing_and_unexpected_keys_are_listed(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")

    def change(tensors):
        tensors.pop("head.bias")
        tensors["extra.weight"] = torch.zeros(1)

    _rewrite_weights(folder, change)
    with pytest.raises(CheckpointError) as err:
        affectzoo.load(folder)
    message = str(err.value)
    assert "model.safetensors" in message and "missing keys: head.bias" in message
    assert "unexpected keys: extra.weight" in message and "fix:" in message


def test_shape_override_is_refused_with_the_shapes(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match=r"shape mismatch: .*head.weight file \(1, 16\) vs model \(1, 32\)"):
        affectzoo.load(folder, hidden=16)


def test_checksum_mismatch_names_both_digests(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["head.bias"] += 1
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match="checksum mismatch: file sha256 [0-9a-f]{64}, config.json says"):
        affectzoo.load(folder)


@pytest.mark.parametrize("edit, problem", [
    (lambda c: c.update(format_version=99), "newer affectzoo"),
    (lambda c: c.update(class_path="somewhere.Else"), "unknown architecture class 'somewhere.Else'"),
    (lambda c: c.update(class_path="affectzoo.models.test_models.NoSuchModel"), "unknown architecture class"),
    (lambda c: c.update(class_path="affectzoo.data.synthetic.SyntheticPairs"), "not an affectzoo model class"),
    (lambda c: c.pop("init_args"), "lacks 'init_args'"),
])
def test_bad_config_is_a_checkpoint_error(tmp_path, tiny_model, edit, problem):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=problem) as err:
        affectzoo.load(folder)
    assert "config.json" in str(err.value) or "model.safetensors" in str(err.value)


def test_broken_files_are_checkpoint_errors(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        affectzoo.load(folder)
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt2")
    config = json.loads((folder / "config.json").read_text())
    config["pretrained_cfg"]["sha256"] = None
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        affectzoo.load(folder)
    (folder / "config.json").unlink()
    with pytest.raises(CheckpointError, match="no config.json"):
        affectzoo.load(folder)
    with pytest.raises(CheckpointError, match="no such file"):
        affectzoo.load(tmp_path / "absent" / "model.safetensors")


def test_export_refuses_weights_from_a_dirty_work_tree(tmp_path, trained_ckpt, monkeypatch):
    monkeypatch.setattr("affectzoo.models.base.code_revision", lambda: "abc+dirty")
    with pytest.raises(CheckpointError, match=r"(?s)are being exported from a work tree.*abc\+dirty.*--allow-dirty"):
        affectzoo.export_lightning_checkpoint(trained_ckpt, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    folder = affectzoo.export_lightning_checkpoint(trained_ckpt, tmp_path / "out", allow_dirty=True)
    assert affectzoo.load(folder).pretrained_cfg.git_revision == CLEAN_REVISION  # the training run's revision
    ckpt = torch.load(trained_ckpt, weights_only=True)
    ckpt["affectzoo"]["pretrained_cfg"]["git_revision"] = "abc+dirty"
    torch.save(ckpt, tmp_path / "dirty.ckpt")
    monkeypatch.setattr("affectzoo.models.base.code_revision", lambda: CLEAN_REVISION)
    with pytest.raises(CheckpointError, match="were trained from a work tree with uncommitted changes"):
        affectzoo.export_lightning_checkpoint(tmp_path / "dirty.ckpt", tmp_path / "out2")


def test_code_revision_reads_the_checkout():
    import re

    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", REAL_CODE_REVISION())  # tests run from a git checkout


def test_lightning_checkpoint_loads_and_exports(tmp_path, trained_ckpt):
    from_ckpt = affectzoo.load(trained_ckpt)
    folder = affectzoo.export_lightning_checkpoint(trained_ckpt, tmp_path / "exported", name="test_regressor.synthetic")
    exported = affectzoo.load(folder)
    torch.testing.assert_close(predictions(exported), predictions(from_ckpt))
    cfg = exported.pretrained_cfg
    assert cfg.name == "test_regressor.synthetic" and cfg.output_names == ("score",)
    assert len(cfg.git_revision) >= 40, "training records the code revision"
    # state dict only: no optimizer state or loops travel into the exported weights
    assert set(load_file(str(folder / "model.safetensors"))) == set(exported.state_dict())


def test_lightning_checkpoint_with_pickled_objects_is_refused(tmp_path, trained_ckpt):
    ckpt = torch.load(trained_ckpt, weights_only=True)
    ckpt["payload"] = Path("/etc/passwd")  # any non-allowlisted object needs unpickling code
    bad = tmp_path / "bad.ckpt"
    torch.save(ckpt, bad)
    with pytest.raises(CheckpointError, match="not a readable Lightning checkpoint"):
        affectzoo.load(bad)


def test_foreign_lightning_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(1)}}, bad)
    with pytest.raises(CheckpointError, match="not written by an affectzoo model"):
        affectzoo.load(bad)


def _hf_cache_layout(cache_dir: Path, repo_id: str, folder: Path, commit: str) -> None:
    """Lay out a checkpoint folder as huggingface_hub caches a downloaded repository."""
    repo = cache_dir / ("models--" + repo_id.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in folder.iterdir():
        blob = repo / "blobs" / file_sha256(file)
        shutil.copy(file, blob)
        (snapshot / file.name).symlink_to(Path("../../blobs") / blob.name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


def test_hub_source_loads_offline_from_the_hf_cache(tmp_path, tiny_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    commit = "0123456789abcdef0123456789abcdef01234567"
    _hf_cache_layout(tmp_path / "hf", "org/affectzoo-tiny", folder, commit)
    expected = predictions(tiny_model)
    for source, revision in (("hf-hub:org/affectzoo-tiny", None), (f"hf-hub:org/affectzoo-tiny@{commit}", None),
                             ("hf-hub:org/affectzoo-tiny", "main")):
        loaded = affectzoo.load(source, cache_dir=tmp_path / "hf", revision=revision)
        torch.testing.assert_close(predictions(loaded), expected)


def test_hub_source_missing_from_offline_cache_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError, match="(?s)not in the local Hugging Face cache.*unset HF_HUB_OFFLINE"):
        affectzoo.load("hf-hub:org/absent@main", cache_dir=tmp_path / "hf")
    with pytest.raises(CheckpointError, match="hf-hub:org/name"):
        affectzoo.load("hf-hub:just-a-name")


def test_indexed_hub_entry_uses_the_cache_and_checks_the_index_sha(tmp_path, tiny_model, checkpoints_dir,
                                                                   monkeypatch):
    from affectzoo import _index

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    commit = "fedcba9876543210fedcba9876543210fedcba98"
    _hf_cache_layout(tmp_path / "hf", "org/tiny", folder, commit)
    cfg = affectzoo.PretrainedCfg.from_dict(_folder.read_config(folder)["pretrained_cfg"])
    _index.add_to_index(cfg.replace(hf_hub_id="org/tiny", hf_hub_revision=commit))
    loaded = affectzoo.load("test_regressor.synthetic", cache_dir=tmp_path / "hf")
    torch.testing.assert_close(predictions(loaded), predictions(tiny_model))
    _index.add_to_index(cfg.replace(hf_hub_id="org/tiny", hf_hub_revision=commit, sha256="0" * 64))
    with pytest.raises(CheckpointError, match="checkpoint index says 0000"):
        affectzoo.load("test_regressor.synthetic", cache_dir=tmp_path / "hf")


class FakeHfApi:
    """Records the calls publish() makes instead of talking to the Hub."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        return type("CommitInfo", (), {"oid": "abc123"})()


def test_publish_verifies_then_uploads_the_folder(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    api = FakeHfApi()
    info = affectzoo.publish(folder, "org/affectzoo-tiny", api=api)
    assert info.oid == "abc123"
    assert api.calls[0] == ("create_repo", "org/affectzoo-tiny", {"repo_type": "model", "private": False,
                                                                  "exist_ok": True})
    upload = api.calls[1][1]
    assert upload["repo_id"] == "org/affectzoo-tiny" and upload["folder_path"] == str(folder)
    assert set(upload["allow_patterns"]) == {"model.safetensors", "config.json", "README.md"}


def test_publish_refuses_a_corrupt_folder(tmp_path, tiny_model):
    folder = affectzoo.save_pretrained(tiny_model, tmp_path / "ckpt")
    (folder / "model.safetensors").write_bytes(b"corrupt")
    api = FakeHfApi()
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        affectzoo.publish(folder, "org/x", api=api)
    assert api.calls == []


def test_non_json_arguments_are_refused_at_save(tmp_path):
    model = TinyRegressor()
    model.hparams["bad"] = object()
    with pytest.raises(CheckpointError, match="not JSON-serialisable"):
        affectzoo.save_pretrained(model, tmp_path / "ckpt")
    assert not (tmp_path / "ckpt").exists(), "a failed save leaves nothing behind"
