"""EMI-Adapter: interaction splits, the four adapters (train, evaluate, save, load, recommend) and their errors.

The data is a tiny IMEMNet written here: 6 songs of 3 clips, 200 images with IMEMNet-C V/A, DEAM
static labels for the songs, and matching scores that fall with the V/A distance of song and image
(as IMEMNet's do), so a content adapter has something real to learn.
"""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch

import affectzoo
from affectzoo.data.interactions import build_interactions
from affectzoo.data.interactions_datamodule import InteractionsDataModule, imemnet_source
from affectzoo.errors import InputError
from affectzoo.models.emi_adapter import EMIAdapter
from tiny_imemnet import CLIPS, N_SONGS, write_tiny_imemnet

@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return write_tiny_imemnet(tmp_path_factory.mktemp("imemnet_root"))


def datamodule(root, **options) -> InteractionsDataModule:
    options = {"threshold": 0.2, "negatives": 11, "cold_fraction": 0.3, "batch_size": 16, "eval_batch_size": 8,
               **options}
    return InteractionsDataModule(root=str(root), **options)


def test_splits_hold_out_one_item_per_user_and_never_train_on_cold_items(tiny_root):
    data = datamodule(tiny_root).prepare()
    assert data.counts["users"] == N_SONGS * CLIPS and data.counts["groups"] == N_SONGS
    train_users = data.train[:, 0]
    assert len(set(data.test.users.tolist())) == len(data.test)  # one test query per user
    assert not np.isin(data.train[:, 1], data.cold_items).any()
    assert np.isin(data.cold.positives, data.cold_items).all()
    assert data.test.target.sum(1).tolist() == [1] * len(data.test)
    for users, candidates, target in ((data.test.users, data.test.candidates, data.test.target),):
        for u, row, mask in zip(users, candidates, target):
            negatives = set(row[~mask].tolist())
            assert not negatives & data.known[int(u)] and len(negatives) == 11
    test_pairs = set(zip(data.test.users.tolist(), data.test.positives.tolist()))
    assert not test_pairs & set(zip(train_users.tolist(), data.train[:, 1].tolist()))
    again = datamodule(tiny_root).prepare()
    assert np.array_equal(again.test.candidates, data.test.candidates)  # seeded


def test_positions_of_the_positive_are_shuffled(tiny_root):
    data = datamodule(tiny_root).prepare()
    assert len(set(np.argmax(data.test.target, 1).tolist())) > 1


def test_user_and_item_va_come_from_the_labels(tiny_root):
    table, song_va, image_va = imemnet_source(tiny_root)
    data = build_interactions(table, song_va, image_va, threshold=0.2, negatives=5, cold_fraction=0.0)
    clip = data.users.index("2001-0")
    assert np.allclose(data.user_va[clip], song_va["2001"], atol=1e-3)
    assert np.allclose(data.item_va[data.items.index("img_000")], image_va["img_000"], atol=1e-6)


def test_too_few_items_for_the_negatives_is_a_clear_error(tiny_root):
    with pytest.raises(ValueError, match="negatives"):
        datamodule(tiny_root, negatives=500).prepare()


def fit(kind: str, root, epochs: int = 30, **options) -> tuple[EMIAdapter, L.Trainer, InteractionsDataModule]:
    L.seed_everything(0, verbose=False)
    model = EMIAdapter(kind=kind, lr=1e-2, dim=8, **options)
    data = datamodule(root)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, data)
    return model, trainer, data


@pytest.mark.parametrize("kind", ["ncf", "bmf", "svdpp", "content"])
def test_each_adapter_trains_evaluates_saves_loads_and_recommends(kind, tiny_root, tmp_path):
    model, trainer, data = fit(kind, tiny_root, epochs=3)
    metrics = trainer.test(model, data, verbose=False)
    assert {"test/hr@10", "test/ndcg@10"} <= set(metrics[0])
    assert len(model.user_ids) == N_SONGS * CLIPS and model.hparams.users == model.user_ids
    folder = model.eval().save_pretrained(tmp_path / kind)
    loaded = affectzoo.load(folder)
    assert loaded.user_ids == model.user_ids and loaded.item_ids == model.item_ids
    first, second = model.recommend("2001-0", k=5), loaded.recommend("2001-0", k=5)
    assert first == second and len(first) == 5
    assert all(0 < score < 1 for _, score in first) and [s for _, s in first] == sorted((s for _, s in first), reverse=True)
    seen = {model.item_ids[i] for u, i in model.train_pairs.tolist() if model.user_ids[u] == "2001-0"}
    assert not seen & {item for item, _ in first}


def test_the_content_adapter_learns_va_agreement_and_serves_new_music_and_images(tiny_root):
    model, trainer, data = fit("content", tiny_root, epochs=40)
    cold = trainer.test(model, data, verbose=False)[1]["test/cold_hr@10"]
    assert cold > 0  # a real value over the cold queries
    calm_sad = [image for image, _ in model.recommend((-0.8, -0.8), k=5)]
    happy = [image for image, _ in model.recommend({"valence": 0.8, "arousal": 0.8}, k=5)]
    va = {image: model.item_va[model.item_ids.index(image)] for image in calm_sad + happy}
    assert np.mean([va[i].sum().item() for i in happy]) > np.mean([va[i].sum().item() for i in calm_sad])
    catalogue = model.index(model.item_ids[:3])
    assert len(model.recommend("2001-1", catalogue, k=2, exclude_seen=False)) == 2


def test_an_id_adapter_refuses_unknown_music_and_points_to_the_content_variant(tiny_root):
    model, _, _ = fit("bmf", tiny_root, epochs=1)
    with pytest.raises(InputError, match="emi_content"):
        model.recommend("9999-1")
    with pytest.raises(InputError, match="emi_content"):
        model.recommend((0.2, 0.3))
    with pytest.raises(InputError, match="emi_content"):
        model.index(["not-an-image-id"])


def test_recommend_command_takes_a_clip_id_or_va(tiny_root, tmp_path, capsys):
    from affectzoo.cli import main

    model, _, _ = fit("content", tiny_root, epochs=2)
    folder = model.eval().save_pretrained(tmp_path / "content")
    assert main(["recommend", "--model", str(folder), "--music", "2001-0", "-k", "4"]) == 0
    by_id = capsys.readouterr().out
    assert len([line for line in by_id.splitlines() if "img_" in line]) == 4
    assert main(["recommend", "--model", str(folder), "--music", "0.5,-0.2", "-k", "3"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if "img_" in line]) == 3


def test_bpr_loss_trains(tiny_root):
    model, _, _ = fit("bmf", tiny_root, epochs=1, loss="bpr")
    assert model.hparams.loss == "bpr"


def test_song_factors_share_a_vector_across_a_songs_clips():
    model = EMIAdapter(kind="bmf", song_factors=True)
    assert model.scorer.factors.group is not None
    assert EMIAdapter(kind="bmf", song_factors=False).scorer.factors.group is None


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        EMIAdapter(kind="svd")
    with pytest.raises(ValueError, match="loss"):
        EMIAdapter(loss="hinge")


def test_svdpp_implicit_vectors_are_normalised_sums():
    model = EMIAdapter(kind="svdpp", dim=4)
    owners, items = torch.tensor([0, 0, 1]), torch.tensor([1, 2, 3])
    vectors = model.scorer.implicit_vectors(owners, items, 2)
    y = model.scorer.implicit.weight
    assert torch.allclose(vectors[0], (y[1] + y[2]) / 2 ** 0.5) and torch.allclose(vectors[1], y[3])


def test_the_emid_reader_feeds_the_same_datamodule(tmp_path):
    header = ("Audio_Filename,genre,feeling,emotion," + ",".join(f"Image{k}_{f}" for k in (1, 2, 3)
                                                                    for f in ("filename", "tag", "text"))
              + ",is_original_clip")
    rows = [header]
    for clip in range(8):
        images = [f"amusement_{(clip + j) % 10:04d}.jpg" for j in range(3)]
        cells = ",".join(f"{name},amusement,\"['a picture']\"" for name in images)
        rows.append(f"{clip // 2}.m4a___{clip}.mp3,A,\"50% Amusing\",\"{','.join(['5'] * 11)}\",{cells},True")
    (tmp_path / "EMID_data.csv").write_text("\n".join(rows) + "\n")
    data = InteractionsDataModule(emid=str(tmp_path / "EMID_data.csv"), negatives=3).prepare()
    assert data.counts["users"] == 8 and data.counts["groups"] == 4 and data.counts["items"] == 10
    assert data.counts["cold_items"] == 0 and len(data.test) == 8
