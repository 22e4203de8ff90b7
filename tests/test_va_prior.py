"""MPJudge's frozen V/A prior (``prior_model``): per-file V/A cached, the composition's logit in the
score, batch keys from the loaders, media and prepared-tensor inputs. A fake V/A predictor stands in
for the zoo's; no network, no ../shared."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from PIL import Image

from affectzoo.affect.similarity import affect_similarity
from affectzoo.data.datasets import MediaLoader, PairsWithPreferences, TableDataset
from affectzoo.errors import InputError
from affectzoo.models.mpjudge import MPJudge
from affectzoo.models.va_prior import FrozenVAPrior, composition_score

TINY = {"variant": "lite0", "image_size": 64, "patch_size": 32, "width": 32, "depth": 1, "heads": 2,
        "music_encoder": "musicnn", "va_heads": True, "va_prior": True, "prior_model": "fake-va"}


class FakeVA:
    """V/A from the file name's last digit: image k -> (k/10, -k/10), music k -> (k/10, k/10)."""

    def __init__(self) -> None:
        self.calls = []

    @staticmethod
    def _of(items) -> torch.Tensor:
        return torch.tensor([[int(str(p).rsplit(".", 1)[0][-1]) / 10] * 2 for p in items])

    def predict_va(self, images=None, audio=None, sample_rate=None) -> dict:
        out = {}
        if images is not None:
            self.calls.append(("image", list(images)))
            out["image"] = self._of(images) * torch.tensor([1.0, -1.0])
        if audio is not None:
            self.calls.append(("audio", list(audio)))
            out["music"] = self._of(audio)
        return out


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))


def write_files(folder, n: int = 3) -> tuple[list[str], list[str]]:
    images, clips = [], []
    for k in range(n):
        image = folder / f"painting{k}.png"
        Image.fromarray(np.random.default_rng(k).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(image)
        clip = folder / f"clip{k}.wav"
        sf.write(clip, 0.3 * np.sin(2 * np.pi * (220 + 110 * k) * np.arange(16000 * 4) / 16000), 16000)
        images.append(str(image)), clips.append(str(clip))
    return images, clips


def tiny_with_fake(seed: int = 0) -> tuple[MPJudge, FakeVA]:
    torch.manual_seed(seed)
    model, fake = MPJudge(**TINY), FakeVA()
    model.va_prior.use_va_predictor(fake)
    return model, fake


def test_composition_score_is_one_for_the_same_emotion_and_zero_for_opposite_corners():
    va = torch.tensor([[1.0, 1.0], [0.2, -0.3]])
    assert torch.allclose(composition_score(va, va), torch.ones(2))
    assert composition_score(torch.tensor([[1.0, 1.0]]), torch.tensor([[-1.0, -1.0]])).item() == pytest.approx(0.0)
    assert composition_score(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 0.0]])).item() == \
        pytest.approx(1 - 1 / (2 * math.sqrt(2)))


def test_prior_predicts_in_batches_once_and_caches_per_file(tmp_path, cache):
    images, clips = write_files(tmp_path)
    prior, fake = FrozenVAPrior("fake-va"), FakeVA()
    prior.use_va_predictor(fake)
    first = prior.of(images, "image")
    assert torch.allclose(first[:, 0], torch.tensor([0.0, 0.1, 0.2])) and fake.calls == [("image", images)]
    again = FrozenVAPrior("fake-va")
    again.use_va_predictor(fake)
    assert torch.equal(again.of(images[::-1], "image"), first.flip(0)) and len(fake.calls) == 1  # disk hits
    assert torch.allclose(prior.audio(clips[2]), torch.tensor([0.2, 0.2])) and fake.calls[-1] == ("audio", [clips[2]])
    with pytest.raises(ValueError, match="kind"):
        prior.of(images, "text")


def test_an_untrained_network_with_a_prior_scores_as_the_prior(tmp_path, cache):
    model, _ = tiny_with_fake()
    tokens, features, composition = torch.randn(4, 4, 1280), torch.rand(4, 5, 250), torch.rand(4) * 0.8 + 0.1
    with torch.no_grad():
        assert torch.allclose(model.eval()(tokens, features, composition), composition, atol=1e-5)
    losses = model.train().compute_losses(model.example_batch(4))
    losses["loss"].backward()
    assert model.net.painting.head.weight.grad.abs().sum() > 0 and model.net.prior_weight.grad != 0


def test_the_score_adds_the_composition_logit_to_the_network(tmp_path, cache):
    model, _ = tiny_with_fake()
    model.eval()
    with torch.no_grad():  # a trained correction: non-zero head and prior weight
        torch.nn.init.normal_(model.net.painting.head.weight)
        model.net.prior_weight.fill_(0.7)
    tokens, features = torch.randn(4, 4, 1280), torch.rand(4, 5, 250)
    plain = model.net.painting(tokens, *model.net.encode_music(features))[0]
    heads = affect_similarity(*model.net.predict_va(tokens, model.net.encode_music(features)[1])).clamp(1e-4, 1 - 1e-4)
    low, high = torch.full((4,), 0.2), torch.full((4,), 0.9)
    with torch.no_grad():
        for composition in (low, high):
            expected = torch.sigmoid(torch.logit(plain) + model.net.prior_weight * torch.logit(heads)
                                     + model.net.composition_weight * torch.logit(composition))
            assert torch.allclose(model(tokens, features, composition), expected, atol=1e-5)
        assert (model(tokens, features, high) > model(tokens, features, low)).all()
    with pytest.raises(InputError, match="composition"):
        model(tokens, features)


def test_media_get_their_v_a_from_the_prior_and_prepared_tensors_need_it_given(tmp_path, cache):
    images, clips = write_files(tmp_path)
    model, fake = tiny_with_fake()
    model.eval()
    from_media = model.score(images, clips)
    image_va = FakeVA._of(images) * torch.tensor([1.0, -1.0])
    music_va = FakeVA._of(clips)
    tokens = torch.stack([model.backbone.cached(p) for p in images])
    features = torch.stack([model.music_backbone.cached(p) for p in clips])
    assert torch.allclose(model.score(tokens, features, image_va=image_va, music_va=music_va), from_media, atol=1e-5)
    with pytest.raises(InputError, match="image_va"):
        model.score(tokens, features)
    one = model.score(images, clips[1])  # one clip against every painting
    assert torch.allclose(one, model.score(tokens, features[1:2], image_va=image_va, music_va=music_va[1:2]),
                          atol=1e-5)
    order, top = model.rank(clips[1], images, k=2)
    assert torch.allclose(top, one[order]) and len(order) == 2
    maps, _ = model.modulation_maps(images[0], clips[0])  # intensities need no prior
    assert maps.shape == (1, 2, 2)


def test_training_batches_need_the_prior_keys_and_train_with_them():
    model, _ = tiny_with_fake()
    batch = model.example_batch(4)
    losses = model.compute_losses(batch)
    assert set(losses) >= {"mse", "va", "dpo", "loss"} and torch.isfinite(losses["loss"])
    losses["loss"].backward()
    assert model.net.composition_weight.grad is not None
    del batch["pref"]["music_prior_va_neg"]
    with pytest.raises(InputError, match="music_prior_va_neg"):
        model.compute_losses(batch)


def test_loaders_carry_the_prior_v_a_of_each_file(tmp_path, cache):
    images, clips = write_files(tmp_path)
    model, _ = tiny_with_fake()
    loader = MediaLoader(model.preprocess, image_tokens=model.backbone.cached,
                         music_features=model.music_backbone.cached, prior_va=model.va_prior)
    table = pd.DataFrame({"id": ["a", "b", "c"], "image_id": ["i0", "i1", "i2"], "music_id": ["m0", "m1", "m2"],
                          "image_path": images, "audio_path": clips, "score": [0.5, 0.6, 0.7]})
    pairs = TableDataset(table, loader, ("score",), ("image", "audio"))
    prefs = pd.DataFrame({"query_modality": ["image", "music"], "query_id": ["i0", "m1"],
                          "preferred_id": ["m1", "i2"], "rejected_id": ["m2", "i0"]})
    dataset = PairsWithPreferences(pairs, prefs)
    first, second = dataset[0], dataset[1]
    assert torch.allclose(first["image_prior_va"], torch.tensor([0.0, 0.0]))
    assert torch.allclose(first["music_prior_va"], torch.tensor([0.0, 0.0]))
    assert torch.allclose(first["pref"]["music_prior_va_pos"], torch.tensor([0.1, 0.1]))
    assert torch.allclose(first["pref"]["music_prior_va_neg"], torch.tensor([0.2, 0.2]))
    assert torch.equal(first["pref"]["image_prior_va_pos"], first["pref"]["image_prior_va_neg"])
    assert torch.allclose(second["pref"]["image_prior_va_pos"], torch.tensor([0.2, -0.2]))
    assert second["pref"]["mel_pos"].shape[-1] == 250 and "music_features" not in second["pref"]


def test_prior_model_is_kept_by_save_and_load(tmp_path):
    from affectzoo import load

    model, _ = tiny_with_fake()
    model.save_pretrained(tmp_path / "judge")
    loaded = load(str(tmp_path / "judge"))
    assert loaded.hparams.prior_model == "fake-va" and loaded.va_prior.name == "fake-va"
    assert torch.equal(loaded.net.composition_weight, model.net.composition_weight)
    with pytest.raises(ValueError, match="official"):
        MPJudge(variant="official", prior_model="fake-va")


class ShiftedVA(FakeVA):
    """A second predictor: FakeVA's V/A moved by -0.5 in valence."""

    def predict_va(self, images=None, audio=None, sample_rate=None) -> dict:
        return {side: va - torch.tensor([0.5, 0.0]) for side, va in super().predict_va(images, audio).items()}


def test_several_priors_give_one_composition_each_with_its_own_weight(tmp_path, cache):
    images, clips = write_files(tmp_path)
    torch.manual_seed(0)
    model = MPJudge(**{**TINY, "prior_model": ["fake-va", "shifted-va"]}).eval()
    with torch.no_grad():  # a trained correction
        torch.nn.init.normal_(model.net.painting.head.weight)
        model.net.prior_weight.fill_(0.7)
    for prior, predictor in zip(model.va_prior.priors, (FakeVA(), ShiftedVA())):
        prior.use_va_predictor(predictor)
    assert model.va_prior.shape == (2, 2) and model.net.composition_weight.shape == (2,)
    assert torch.allclose(model.net.composition_weight, torch.full((2,), 0.5))
    va = model.va_prior.of(images, "image")
    assert va.shape == (3, 2, 2) and torch.allclose(va[:, 1], va[:, 0] - torch.tensor([0.5, 0.0]))
    tokens = torch.stack([model.backbone.cached(p) for p in images])
    features = torch.stack([model.music_backbone.cached(p) for p in clips])
    plain = model.net.painting(tokens, *model.net.encode_music(features))[0]
    heads = affect_similarity(*model.net.predict_va(tokens, model.net.encode_music(features)[1])).clamp(1e-4, 1 - 1e-4)
    compositions = composition_score(va, model.va_prior.of(clips, "audio"))
    with torch.no_grad():
        expected = torch.sigmoid(torch.logit(plain) + model.net.prior_weight * torch.logit(heads)
                                 + 0.5 * torch.logit(compositions.clamp(1e-4, 1 - 1e-4)).sum(dim=1))
        assert torch.allclose(model.score(images, clips), expected, atol=1e-5)
        with pytest.raises(InputError, match=r"\[3, 2\]"):
            model(tokens, features, compositions[:, 0])
    losses = model.train().compute_losses(model.example_batch(4))
    losses["loss"].backward()
    assert model.net.composition_weight.grad.shape == (2,)
