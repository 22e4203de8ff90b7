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
    with pytest.raises(ValueError, match="none given"):
        engine.recommend({}, catalogue)


CHEAP = {"image_encoders": ("colour-statistics",), "music_encoders": ("audio-statistics",)}


@pytest.fixture
def tiny_va_items(tmp_path, monkeypatch):
    from test_va_model import write_items

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    images, music = write_items(tmp_path / "items")
    monkeypatch.setattr("affectzoo.data.va_datamodule.image_items", lambda root, seed: images)
    monkeypatch.setattr("affectzoo.data.va_datamodule.music_items", lambda root, seed, augments, programs: music)
    return images, music


def test_mozart_trains_in_two_stages_and_recommends_through_its_catalogue(tiny_va_items, tmp_path):
    import lightning as L
    import numpy as np

    import affectzoo
    from affectzoo.data.va_datamodule import OpenVADataModule

    torch.manual_seed(0)
    model = affectzoo.create_model("mozart", **CHEAP, ae_epochs=2, patience=2, lr=3e-3)
    data = OpenVADataModule(root="unused", batch_size=8)
    data.attach_model(model)
    trainer = L.Trainer(max_epochs=12, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, data)
    assert all(bool(s.fitted) for s in model.standardize.values()) and all(bool(s.fitted) for s in model.scalers.values())
    assert {"val/recon", "val/contrastive", "val/affect_gain_at_10", "val/loss"} <= set(trainer.callback_metrics)
    assert trainer.callback_metrics["val/loss"] == trainer.callback_metrics["val/contrastive"]
    tested = trainer.test(model, data, verbose=False)[0]
    assert tested["test/affect_gain_at_10"] > 0, "music is sent to pictures of like V/A on unseen items"
    fresh_trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    assert fresh_trainer.test(model, data, verbose=False)[0] == tested, "a new trainer judges the head stage too"
    trained_head = model.head
    model.head = type(trained_head)()
    untrained = trainer.test(model, data, verbose=False)[0]
    assert tested["test/contrastive"] < untrained["test/contrastive"], "the trained head fits unseen items better"
    model.head = trained_head

    images, music = tiny_va_items
    predictor = affectzoo.create_model("imagemusic_va", **CHEAP, music_arousal="head").eval()
    for side in predictor.standardize.values():
        side.fitted.fill_(True)
    model.use_va_predictor(predictor)
    assert "_va_model" not in dict(model.named_modules()) and not any("_va_model" in k for k in model.state_dict())
    paintings = images["image_path"].tolist()[:10]
    catalogue = model.index(paintings)
    assert catalogue.ids == paintings and catalogue.embeddings.shape == (10, 128) and catalogue.kind == "image"
    clips = music["audio_path"].tolist()[:3]
    found = model.recommend({clips[0]: 5, clips[1]: 2, clips[2]: 4}, catalogue, k=4)
    music_z, _ = model.embed("music", clips)
    w = np.array([5, 2, 4]) / 11
    by_hand = {p: float(w @ np.linalg.norm(music_z.numpy().astype(np.float64) - z.astype(np.float64), axis=1))
               for p, z in zip(catalogue.ids, catalogue.embeddings)}
    assert [r.item for r in found] == sorted(by_hand, key=by_hand.get)[:4]
    loaded = affectzoo.load(str(model.save_pretrained(tmp_path / "mozart")))
    loaded.use_va_predictor(predictor)
    assert loaded.recommend({clips[0]: 5, clips[1]: 2, clips[2]: 4}, catalogue, k=4) == found


def test_affect_gain_compares_the_nearest_pictures_with_all_of_them():
    from affectzoo.models.mozart.lightning_model import affect_gain_at_k

    music_va = torch.tensor([[1.0, 1.0]])
    image_va = torch.tensor([[1.0, 1.0], [0.9, 1.0], [-1.0, -1.0], [-1.0, -0.9]])
    all_mean = (0 + 0.1 + math.sqrt(8) + math.sqrt(4 + 1.9 ** 2)) / 4
    gain = affect_gain_at_k(music_va, music_va, image_va, image_va)  # k = 2: half the pictures
    assert gain.item() == pytest.approx(1 - 0.05 / all_mean, rel=1e-5)
    assert affect_gain_at_k(-music_va, music_va, image_va, image_va) < 0, "a ranking against affect scores below 0"


def test_index_and_recommend_commands_take_ratings_and_write_a_page(tmp_path, capsys, monkeypatch):
    import numpy as np
    import soundfile as sf
    from PIL import Image

    import affectzoo
    from affectzoo.cli import main

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    predictor = affectzoo.create_model("imagemusic_va", **CHEAP, music_arousal="head")
    for side in predictor.standardize.values():
        side.fitted.fill_(True)
    predictor_folder = predictor.save_pretrained(tmp_path / "predictor")
    model = affectzoo.create_model("mozart", **CHEAP, va_predictor=str(predictor_folder))
    for module in (*model.standardize.values(), *model.scalers.values()):
        module.fitted.fill_(True)
    model_folder = str(model.save_pretrained(tmp_path / "mozart"))
    paintings = tmp_path / "paintings"
    paintings.mkdir()
    for k in range(5):
        Image.new("RGB", (48, 32), (50 * k, 120, 200 - 40 * k)).save(paintings / f"p{k}.jpg")
    t = np.arange(16000) / 16000
    for k in range(2):
        sf.write(tmp_path / f"c{k}.wav", (0.1 * (k + 1) * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 16000)
    (tmp_path / "ratings.csv").write_text("audio_path,rating\nc0.wav,5\nc1.wav,2\n")
    catalogue = tmp_path / "paintings.safetensors"
    assert main(["index", str(paintings), "--model", model_folder, "--out", str(catalogue)]) == 0
    assert "5 items, 128-d embeddings" in capsys.readouterr().out
    page = tmp_path / "out.html"
    assert main(["recommend", "--ratings", str(tmp_path / "ratings.csv"), "--catalog", str(catalogue),
                 "--model", model_folder, "-k", "3", "--html", str(page)]) == 0
    lines = capsys.readouterr().out.splitlines()
    ranked = [line.split() for line in lines[:3]]
    assert [r[0] for r in ranked] == ["1", "2", "3"] and all(r[2].endswith(".jpg") for r in ranked)
    assert [float(r[1]) for r in ranked] == sorted(float(r[1]) for r in ranked), "nearest first"
    text = page.read_text()
    assert text.count("<img ") == 3 and text.count("rated 5") == 1 and text.count("<audio ") == 2
    with pytest.raises(SystemExit, match="one of them"):
        main(["recommend", "c0.wav=5", "--ratings", "r.csv", "--catalog", str(catalogue), "--model", model_folder])
    from affectzoo.models.mozart.ranking import CURATION

    curate = ["recommend", "--ratings", str(tmp_path / "ratings.csv"), "--catalog", str(catalogue),
              "--model", model_folder, "-k", "5", "--curate"]
    monkeypatch.setitem(CURATION, "min_valence", 2.0)  # nothing passes: proves --curate reaches the filter
    assert main(curate) == 2 and "no catalogue item passes the curation filter" in capsys.readouterr().err
    monkeypatch.setitem(CURATION, "min_valence", -2.0)
    monkeypatch.setitem(CURATION, "min_abs_arousal", 0.0)
    assert main(curate) == 0 and len(capsys.readouterr().out.splitlines()) == 5
    with pytest.raises(SystemExit, match="reads no descriptions"):
        main(["recommend", "--ratings", str(tmp_path / "ratings.csv"), "--catalog", str(catalogue),
              "--model", model_folder, "--descriptions", str(tmp_path / "ratings.csv")])
    with pytest.raises(SystemExit, match="no curation filter"):
        main(["recommend", str(paintings / "p0.jpg") + "=5", "--catalog", str(paintings), "--model", "visual",
              "--curate"])


def test_visual_baseline_scores_by_weighted_cosine_to_rated_paintings(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    from affectzoo.models.mozart.visual import Visual

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    colours = {"red1": (230, 20, 20), "red2": (200, 40, 30), "blue1": (20, 30, 220), "blue2": (40, 40, 200),
               "grey": (128, 128, 128)}
    for name, rgb in colours.items():
        Image.new("RGB", (32, 32), rgb).save(tmp_path / f"{name}.png")
    engine = Visual("colour-statistics")
    catalogue = engine.index([str(tmp_path / f"{name}.png") for name in colours])
    rated = {str(tmp_path / "red1.png"): 5, str(tmp_path / "blue1.png"): 1}
    found = engine.recommend(rated, catalogue, k=3)
    assert str(tmp_path / "red1.png") not in [r.item for r in found], "rated paintings are not recommended back"
    assert found[0].item.endswith("red2.png")
    features = {p: engine.features(p) for p in catalogue.ids}
    by_hand = {p: 5 / 6 * features[p] @ features[str(tmp_path / "red1.png")]
               + 1 / 6 * features[p] @ features[str(tmp_path / "blue1.png")] for p in catalogue.ids if p not in rated}
    assert [r.item for r in found] == sorted(by_hand, key=by_hand.get, reverse=True)
    assert np.allclose([r.score for r in found], sorted(by_hand.values(), reverse=True), atol=1e-5)


def test_curation_filters_both_sides_as_the_user_study_did():
    import numpy as np

    from affectzoo.catalog import Catalog
    from affectzoo.models.mozart.ranking import curated, recommend_by_ratings

    va = np.array([[0.5, 0.5], [0.05, 0.5], [0.5, 0.05], [0.3, -0.4]])
    assert curated(va).tolist() == [True, False, False, True]
    catalogue = Catalog(["a", "b", "c", "d"], va.astype(np.float32), va.astype(np.float32))
    music_va = np.array([[0.5, 0.5], [0.0, 0.0]])  # the second clip fails the filter: it weighs nothing
    plain = recommend_by_ratings(music_va, [1, 5], catalogue, k=4)
    kept = recommend_by_ratings(music_va, [1, 5], catalogue, k=4, music_va=music_va, curate=True)
    assert [r.item for r in kept] == ["a", "d"] and kept[0].score == pytest.approx(0.0)
    assert len(plain) == 4
    with pytest.raises(ValueError, match="curation"):
        recommend_by_ratings(music_va, [1, 5], Catalog(["a"], va[:1]), music_va=music_va, curate=True)


def test_salieri_reads_descriptions_trains_and_round_trips(tiny_va_items, tmp_path):
    import lightning as L
    import numpy as np

    import affectzoo
    from affectzoo.data.va_datamodule import OpenVADataModule
    from affectzoo.models.mozart.descriptions import describe, read_descriptions
    from test_sentence_encoder import make_folder

    text_folder = str(make_folder(tmp_path / "minibert"))
    torch.manual_seed(0)
    model = affectzoo.create_model("salieri", **CHEAP, text_encoder=text_folder, text_dim=16, ae_epochs=1, patience=1)
    assert model.reads_descriptions and model.hparams.text_encoder == text_folder and model.hparams.ae_epochs == 1
    assert not any("sentence" in key or "transformer" in key for key in model.state_dict())
    data = OpenVADataModule(root="unused", batch_size=8)
    data.attach_model(model)
    L.Trainer(max_epochs=3, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
              enable_model_summary=False).fit(model, data)
    assert all(bool(s.fitted) for s in model.scalers.values())

    images, music = tiny_va_items
    predictor = affectzoo.create_model("imagemusic_va", **CHEAP, music_arousal="head").eval()
    for side in predictor.standardize.values():
        side.fitted.fill_(True)
    model.use_va_predictor(predictor)
    paintings = images["image_path"].tolist()[:6]
    templated = model.index(paintings)
    _, va = model.embed("image", paintings[:1])
    assert model.descriptions("image", va)[0] == describe("image", *va[0].tolist())
    table = tmp_path / "texts.csv"
    table.write_text(f"image_path,description\n{paintings[0]},a stormy sea at night with a small boat\n")
    assert read_descriptions(table) == {paintings[0]: "a stormy sea at night with a small boat"}
    described = model.index(paintings, descriptions=table)
    assert not np.allclose(described.embeddings[0], templated.embeddings[0]), "a user's text moves its painting"
    np.testing.assert_allclose(described.embeddings[1:], templated.embeddings[1:], atol=1e-5)
    clips = music["audio_path"].tolist()[:2]
    found = model.recommend({clips[0]: 5, clips[1]: 1}, described, k=3)
    loaded = affectzoo.load(str(model.save_pretrained(tmp_path / "salieri")))
    loaded.use_va_predictor(predictor)
    assert type(loaded).__name__ == "Salieri" and loaded.recommend({clips[0]: 5, clips[1]: 1}, described, k=3) == found
    mozart = affectzoo.create_model("mozart", **CHEAP)
    with pytest.raises(ValueError, match="reads no descriptions"):
        mozart.embed("image", paintings[:1], descriptions=table)


def test_haydn_and_visual_load_by_name_like_trained_models():
    import affectzoo
    from affectzoo._factory import require_task
    from affectzoo.models.mozart import Haydn, Visual

    haydn = affectzoo.load("haydn", predictor=object())
    assert isinstance(haydn, Haydn) and haydn.pretrained_cfg.tasks == ("recommender",)
    assert isinstance(affectzoo.load("visual", encoder="colour-statistics"), Visual)
    assert require_task("visual", "recommender").architecture == "visual"
