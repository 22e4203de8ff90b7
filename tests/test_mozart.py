"""Mozart, Haydn and the affect-contrastive loss (Yilma & Leiva, RecSys 2025), on tiny data made here."""

from __future__ import annotations

import math

import pytest
import torch

from affectzoo.losses.affect_contrastive import affect_contrastive_loss


def test_affect_contrastive_loss_matches_a_hand_computed_case():
    # music A at V/A (0, 0); paintings B at (0, 0) and C at (1, 0)
    z = torch.tensor([[0.0, 0.0], [0.3, 0.4], [0.1, 0.0]])
    va = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    modality = torch.tensor([0, 1, 1])
    lam_music, lam_painting = 2 / 3, 1 / 3  # N_p / (N_m + N_p), N_m / (N_m + N_p)
    s_far = math.exp(-1.0 / (2 * 0.5 ** 2))  # V/A distance 1, sigma 0.5
    ab = 1.0 * 0.5 ** 2  # same affect: pulled together, ||z_A - z_B|| = 0.5
    ac = s_far * 0.1 ** 2 + (1 - s_far) * (0.5 - 0.1) ** 2
    bc = s_far * 0.2 + (1 - s_far) * (0.5 - math.sqrt(0.2)) ** 2
    expected = (lam_music * lam_painting * (ab + ac) + lam_painting ** 2 * bc) / 3
    loss = affect_contrastive_loss(z, va, modality)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert loss.item() == pytest.approx(0.029958, abs=1e-5)


def test_affect_contrastive_loss_pulls_alike_and_pushes_apart():
    va = torch.tensor([[0.5, 0.5], [0.5, 0.5], [-0.5, -0.5], [-0.5, -0.5]])
    modality = torch.tensor([0, 1, 0, 1])
    grouped = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    mixed = grouped[[0, 2, 1, 3]]
    together = affect_contrastive_loss(grouped, va, modality)
    assert 0 < together < 0.005, "alike together, unlike beyond the margin: only exp(-4) of a pull is left"
    assert affect_contrastive_loss(mixed, va, modality) > 10 * together
    assert affect_contrastive_loss(grouped[:1], va[:1], modality[:1]) == 0
    with pytest.raises(ValueError, match="batch size"):
        affect_contrastive_loss(grouped, va[:3], modality)


def test_rating_weights_follow_eq_8_and_skip_attention_checks():
    from affectzoo.models.mozart.ranking import rating_weights

    assert rating_weights([5, 3, 2]).tolist() == [0.5, 0.3, 0.2]
    assert rating_weights([5, 3, 2], attention_checks=[False, True, False]).tolist() == [5 / 7, 0, 2 / 7]
    with pytest.raises(ValueError, match=r"\[1, 5\]"):
        rating_weights([0, 6])
    with pytest.raises(ValueError, match="attention checks"):
        rating_weights([4], attention_checks=[True])


def test_mozart_networks_have_the_paper_shapes():
    from affectzoo.models.mozart.torch_model import Autoencoder, MinMaxScaler, ProjectionHead

    autoencoder = Autoencoder(300)
    widths = [layer.out_features for layer in autoencoder.encoder if isinstance(layer, torch.nn.Linear)]
    assert widths == [1024, 512, 256]
    assert [layer.out_features for layer in autoencoder.decoder if isinstance(layer, torch.nn.Linear)] == [512, 1024, 300]
    x = torch.randn(6, 300)
    assert autoencoder(x).shape == x.shape and autoencoder.encode(x).shape == (6, 256)
    scaler = MinMaxScaler(256)
    codes = autoencoder.encode(x).detach()
    scaler.fit(codes)
    scaled = scaler(codes)
    assert scaled.min() == -1 and scaled.max() == 1
    assert ProjectionHead()(scaled, torch.zeros(6, 2)).shape == (6, 128)


def test_haydn_ranks_paintings_by_eq_7_on_the_va_plane(tmp_path):
    import numpy as np
    import soundfile as sf
    from PIL import Image

    import affectzoo
    from affectzoo.models.mozart.haydn import Haydn

    torch.manual_seed(0)
    predictor = affectzoo.create_model("imagemusic_va", image_encoders=("colour-statistics",),
                                       music_encoders=("audio-statistics",), music_arousal="head").eval()
    for side in predictor.standardize.values():
        side.fitted.fill_(True)
    for k in range(6):
        Image.new("RGB", (32, 32), (40 * k, 200 - 30 * k, 60)).save(tmp_path / f"p{k}.png")
    t = np.arange(16000) / 16000
    clips = []
    for k, level in enumerate((0.05, 0.3, 0.6)):
        sf.write(tmp_path / f"c{k}.wav", (level * np.sin(2 * np.pi * (200 + 150 * k) * t)).astype(np.float32), 16000)
        clips.append(str(tmp_path / f"c{k}.wav"))
    engine = Haydn(predictor)
    catalogue = engine.index(str(tmp_path))
    assert catalogue.kind == "image" and len(catalogue) == 6
    saved = catalogue.save(tmp_path / "cat.safetensors")
    ratings = {clips[0]: 5, clips[1]: 1, clips[2]: 3}
    found = engine.recommend(ratings, str(saved), k=6)
    music_va = predictor.predict_va(audio=clips)["music"].numpy().astype(np.float64)
    w = np.array([5, 1, 3]) / 9
    by_hand = {item: float(w @ np.linalg.norm(music_va - va.astype(np.float64), axis=1))
               for item, va in zip(catalogue.ids, catalogue.va)}
    assert [r.item for r in found] == sorted(by_hand, key=by_hand.get)
    assert np.allclose([r.score for r in found], sorted(by_hand.values()), atol=1e-6)
    csv = tmp_path / "ratings.csv"
    csv.write_text("audio_path,rating\n" + "".join(f"c{k}.wav,{r}\n" for k, r in enumerate((5, 1, 3))))
    assert engine.recommend(csv, catalogue, k=2) == found[:2]
    with pytest.raises(ValueError, match="no ratings"):
        engine.recommend({}, catalogue)
