"""The offline sentence encoder, on a tiny sentence-transformers folder made here (random BERT weights)."""

from __future__ import annotations

import json

import pytest
import torch

from affectzoo.backbones.sentence import SentenceEncoder, resolve_sentence_model
from affectzoo.errors import CheckpointError

WORDS = ["calm", "quiet", "music", "loud", "angry", "painting", "a", "sad", "happy", "very"]


def make_folder(root, pooling: str = "mean", normalize: bool = True):
    """A sentence-transformers folder: a 2-layer BERT with random weights, a WordPiece tokenizer,
    the pooling config and modules.json."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (root / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(root / "vocab.txt")).save_pretrained(root)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32)
    BertModel(config).save_pretrained(root)
    (root / "1_Pooling").mkdir(exist_ok=True)
    (root / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 16, "pooling_mode_mean_tokens": pooling == "mean",
        "pooling_mode_cls_token": pooling == "cls", "pooling_mode_max_tokens": pooling == "max"}))
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    (root / "modules.json").write_text(json.dumps(modules))
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("minibert") / "model")


def test_mean_pooling_and_normalisation_match_a_hand_computation(folder):
    from transformers import AutoModel, AutoTokenizer

    encoder = SentenceEncoder(str(folder))
    texts = ["calm quiet music", "a very loud angry painting"]
    got = encoder(texts)
    assert got.shape == (2, 16)
    model, tokenizer = AutoModel.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    for text, vector in zip(texts, got):
        tokens = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            mean = model(**tokens).last_hidden_state[0].mean(0)
        torch.testing.assert_close(vector, mean / mean.norm(), atol=1e-5, rtol=1e-5)


def test_padding_does_not_change_an_embedding_and_repeats_are_remembered(folder):
    encoder = SentenceEncoder(str(folder))
    alone = encoder(["sad music"])
    fresh = SentenceEncoder(str(folder))
    batched = fresh(["a very very loud angry calm quiet painting", "sad music"])
    torch.testing.assert_close(batched[1], alone[0], atol=1e-5, rtol=1e-5)
    assert "sad music" in fresh._memory and fresh(["sad music", "sad music"]).shape == (2, 16)
    assert encoder([]).shape == (0, 16)


def test_cls_pooling_without_normalisation(tmp_path):
    encoder = SentenceEncoder(str(make_folder(tmp_path / "cls", pooling="cls", normalize=False)))
    assert encoder.pooling == "cls" and not encoder.normalize
    assert not torch.allclose(encoder(["happy music"]).norm(dim=-1), torch.ones(1))


def test_the_offline_hugging_face_cache_layout_is_found(folder, tmp_path, monkeypatch):
    from hub_cache import fake_hub_cache

    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    snapshot = fake_hub_cache(tmp_path / "hub", "sentence-transformers/tiny-test", files, monkeypatch)
    assert resolve_sentence_model("tiny-test") == snapshot
    assert SentenceEncoder("tiny-test")(["calm music"]).shape == (1, 16)


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(CheckpointError, match="not available offline"):
        resolve_sentence_model("no-such-model")
    with pytest.raises(CheckpointError, match="no such folder"):
        resolve_sentence_model(str(tmp_path / "missing" / "folder"))
