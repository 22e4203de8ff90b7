"""EMI-Adapter (Zou et al., EMID, section 3.1 and Table 1) as a LightningModule: images for music.

One class, four ``kind`` s (:mod:`~affectzoo.models.emi_adapter.torch_model`): ``"ncf"``, ``"bmf"``,
``"svdpp"`` (ID adapters: a vector per music clip and per image, learnt from interactions) and
``"content"`` (vectors from the items' V/A, beyond the paper: it serves music and images it never
saw). Trained on positive (music, image) interactions with ``negatives`` items drawn uniformly per
positive from the items seen in training, by BCE on the logits (``loss="bce"``, NCF's choice) or
BPR (``loss="bpr"``: positive above each negative).

The vocabularies (``users``: music clip ids, ``group_ids``: their songs, ``items``: image ids) and
the training pairs come from the DataModule at ``setup`` and are kept: the ids in the
hyperparameters, the rest as buffers (``user_group``, ``user_va``, ``item_va``, ``item_va_known``,
``item_popularity``, ``train_pairs``), so a saved model recommends without the data. Built without
them (``create_model("emi_ncf")``), the model has a small placeholder vocabulary.

Metrics (the NCF protocol, :mod:`affectzoo.data.interactions`): HR@10 and NDCG@10 of the held-out
item among its sampled candidates, ``val/...`` and ``test/...``; the cold-start queries (test
dataloader 1) as ``test/cold_hr@10`` and ``test/cold_ndcg@10``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from affectzoo.metrics.retrieval import HitRateAtK, NDCGAtK
from affectzoo.models.base import ZooModule
from affectzoo.models.emi_adapter.inference import EMIInference
from affectzoo.models.emi_adapter.torch_model import BMF, NCF, ContentAdapter, SVDpp

PAPER = "Zou et al., \"EMID: An Emotional Aligned Dataset in Audio-Visual Modality\" (EMI-Adapter)"
KINDS = ("ncf", "bmf", "svdpp", "content")
LOSSES = ("bce", "bpr")
TOP_K = 10
_PLACEHOLDER = {"users": [f"u{k}" for k in range(8)], "group_ids": ["g0", "g1"], "items": [f"i{k}" for k in range(12)]}


class EMIAdapter(EMIInference, ZooModule):
    """NCF, BMF, SVD++ or content adapter over (music, image) interactions (see the module docstring)."""

    tasks = ("recommender",)

    def __init__(self, kind: str = "ncf", dim: int = 32, song_factors: bool = True, loss: str = "bce",
                 negatives: int = 4, lr: float = 1e-3, weight_decay: float = 0.0, users: list[str] | None = None,
                 group_ids: list[str] | None = None, items: list[str] | None = None, num_train: int = 16,
                 va_predictor: str = "imagemusic") -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        self.save_hyperparameters()
        self._build(users or _PLACEHOLDER["users"], group_ids or _PLACEHOLDER["group_ids"],
                    items or _PLACEHOLDER["items"], num_train)
        self._metrics = {name: (HitRateAtK(TOP_K, empty_target_action="error"),
                                NDCGAtK(TOP_K, empty_target_action="error"))
                         for name in ("val", "test", "test/cold")}

    def default_preprocess(self) -> dict:
        """What a query is: a known clip id; the content adapter also reads V/A in [-1, 1] (given, or
        predicted from audio and images by the V/A predictor)."""
        content = self.hparams.kind == "content"
        return {"query": "music clip id" + (", (valence, arousal) or audio file" if content else ""),
                "items": "image id" + (", image file" if content else ""),
                **({"va_range": [-1.0, 1.0], "va_predictor": self.hparams.va_predictor} if content else {})}

    def _build(self, users: list[str], group_ids: list[str], items: list[str], num_train: int) -> None:
        """The scorer and buffers for these vocabularies (placeholder contents until :meth:`adopt`)."""
        n_users, n_items, n_groups = len(users), len(items), len(group_ids)
        self.user_ids, self.item_ids = list(users), list(items)
        self._user_index = {u: k for k, u in enumerate(self.user_ids)}
        self._item_index = {i: k for k, i in enumerate(self.item_ids)}
        song = n_groups if self.hparams.song_factors else 0
        self._n_owners = n_groups if self.hparams.song_factors else n_users  # SVD++'s implicit-feedback owners
        dim = self.hparams.dim
        kind = self.hparams.kind
        self.scorer = {"ncf": lambda: NCF(n_users, n_items, song, dim), "bmf": lambda: BMF(n_users, n_items, song, dim),
                       "svdpp": lambda: SVDpp(n_users, n_items, song, dim),
                       "content": lambda: ContentAdapter(2, 2, dim)}[kind]()
        self.register_buffer("user_group", torch.arange(n_users) % n_groups)
        self.register_buffer("user_va", torch.zeros(n_users, 2))
        self.register_buffer("item_va", torch.zeros(n_items, 2))
        self.register_buffer("item_va_known", torch.ones(n_items, dtype=torch.bool))
        self.register_buffer("item_popularity", torch.ones(n_items))
        self.register_buffer("train_pairs", torch.stack([torch.arange(num_train) % n_users,
                                                         torch.arange(num_train) % n_items], 1))

    # ------------------------------------------------------------------------------ data

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if datamodule is not None and hasattr(datamodule, "prepare") and stage == "fit":
            self.adopt(datamodule.prepare())

    def adopt(self, data) -> None:
        """Take the vocabularies, content V/A and training pairs of :class:`~affectzoo.data.interactions.Interactions`
        (rebuilding the scorer when the vocabularies differ)."""
        vocab = {"users": list(data.users), "group_ids": list(data.groups), "items": list(data.items),
                 "num_train": len(data.train)}
        if any(self.hparams.get(key) != value for key, value in vocab.items()) or \
                self.user_ids != vocab["users"] or self.item_ids != vocab["items"]:
            self.hparams.update(vocab)
            self._build(vocab["users"], vocab["group_ids"], vocab["items"], vocab["num_train"])
        self.user_group.copy_(torch.as_tensor(data.user_group))
        self.user_va.copy_(torch.as_tensor(data.user_va))
        self.item_va.copy_(torch.as_tensor(data.item_va))
        self.item_va_known.copy_(torch.as_tensor(data.item_va_known))
        self.item_popularity.copy_(torch.as_tensor(data.item_popularity))
        self.train_pairs.copy_(torch.as_tensor(data.train))

    # ------------------------------------------------------------------------------ scoring

    def scores(self, user: Tensor, group: Tensor, items: Tensor) -> Tensor:
        """Logits ``[B, C]`` of known users ``[B]`` (and their songs) against item indices ``[B, C]``."""
        if self.hparams.kind == "content":
            return self.scorer.scores(self.user_va[user], self.item_va[items])
        if self.hparams.kind == "svdpp":
            owners = self.user_group[self.train_pairs[:, 0]] if self.hparams.song_factors else self.train_pairs[:, 0]
            implicit = self.scorer.implicit_vectors(owners, self.train_pairs[:, 1], self._n_owners)
            return self.scorer.scores(user, group, items, implicit)
        return self.scorer.scores(user, group, items)

    def _draw_negatives(self, count: int, per_row: int) -> Tensor:
        """Items drawn uniformly from those with training interactions ``[count, per_row]``."""
        weights = (self.item_popularity > 0).float()
        return torch.multinomial(weights, count * per_row, replacement=True).view(count, per_row)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        user, group, item = batch["user"], batch["group"], batch["item"]
        items = torch.cat([item.unsqueeze(1), self._draw_negatives(len(item), self.hparams.negatives)], 1)
        logits = self.scores(user, group, items)
        if self.hparams.loss == "bpr":
            loss = -F.logsigmoid(logits[:, :1] - logits[:, 1:]).mean()
        else:
            target = torch.zeros_like(logits)
            target[:, 0] = 1
            loss = F.binary_cross_entropy_with_logits(logits, target)
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(item))
        return loss

    # ------------------------------------------------------------------------------ evaluation

    def _evaluate(self, batch: dict, split: str) -> None:
        logits = self.scores(batch["user"], batch["group"], batch["candidates"])
        query = batch["query"].unsqueeze(1).expand_as(logits)
        for metric in self._metrics[split]:
            metric.update(logits.detach().float().cpu(), batch["target"].long().cpu(), query.cpu())

    def _log_metrics(self, split: str) -> None:
        hr, ndcg = self._metrics[split]
        if hr.preds:
            self.log_dict({_name(split, "hr"): hr.compute(), _name(split, "ndcg"): ndcg.compute()})
        hr.reset()
        ndcg.reset()

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, "test/cold" if dataloader_idx == 1 else "test")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")
        self._log_metrics("test/cold")

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> Tensor:
        """Logits ``[B, C]`` of the batch's users against its candidates."""
        return self.scores(batch["user"], batch["group"], batch["candidates"])

    def configure_optimizers(self):
        return torch.optim.Adam(self.scorer.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def example_batch(self, batch_size: int = 2) -> dict:
        """Known users with a positive item each and five candidates per user."""
        user = torch.arange(batch_size) % len(self.user_ids)
        candidates = torch.randint(0, len(self.item_ids), (batch_size, 5))
        target = torch.zeros(batch_size, 5, dtype=torch.bool)
        target[:, 0] = True
        return {"user": user, "group": self.user_group[user], "item": candidates[:, 0], "candidates": candidates,
                "target": target, "query": torch.arange(batch_size)}


def _name(split: str, metric: str) -> str:
    """``val/hr@10``, ``test/ndcg@10``, ``test/cold_hr@10``."""
    if split == "test/cold":
        return f"test/cold_{metric}@{TOP_K}"
    return f"{split}/{metric}@{TOP_K}"
