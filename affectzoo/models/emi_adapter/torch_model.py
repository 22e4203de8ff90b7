"""The EMI-Adapter scorers as plain ``nn.Module`` s: logit of "music ``u`` goes with image ``i``".

Each takes user (music clip) indices, their group (song) indices and item (image) indices and
returns logits ``[B]``; :meth:`scores` gives ``[B, C]`` for candidate lists. With ``groups`` the
user's vectors are the sum of a clip vector and a song vector: clips of one song share their
emotion, and most clips have only a handful of interactions of their own.

* :class:`BMF`: global, user and item biases plus a dot product of factors.
* :class:`NCF`: NeuMF (He et al., WWW 2017): a GMF tower (element-wise product) and an MLP tower
  over concatenated embeddings, fused by one linear layer.
* :class:`SVDpp`: SVD++ (Koren, KDD 2008): ``b + q_i . (p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j)``,
  with N(u) the training items of the user or, with ``groups``, of its song.
* :class:`ContentAdapter`: user and item vectors produced by MLPs from content (V/A), so music and
  images never seen in training can be scored.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class _Factors(nn.Module):
    """A user table (plus a group table when ``n_groups``) and an item table of width ``dim``."""

    def __init__(self, n_users: int, n_items: int, n_groups: int, dim: int) -> None:
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.group = nn.Embedding(n_groups, dim) if n_groups else None
        self.item = nn.Embedding(n_items, dim)
        for table in (self.user, self.group, self.item):
            if table is not None:
                nn.init.normal_(table.weight, std=0.01)

    def users(self, user: Tensor, group: Tensor) -> Tensor:
        vector = self.user(user)
        return vector + self.group(group) if self.group is not None else vector


class BMF(nn.Module):
    """Biased matrix factorisation: ``mu + b_u (+ b_song) + b_i + p_u . q_i``."""

    def __init__(self, n_users: int, n_items: int, n_groups: int = 0, dim: int = 32) -> None:
        super().__init__()
        self.factors = _Factors(n_users, n_items, n_groups, dim)
        self.biases = _Factors(n_users, n_items, n_groups, 1)
        self.global_bias = nn.Parameter(torch.zeros(()))

    def scores(self, user: Tensor, group: Tensor, items: Tensor) -> Tensor:
        """Logits ``[B, C]`` of users ``[B]`` against items ``[B, C]``."""
        p = self.factors.users(user, group)
        q = self.factors.item(items)
        bias = self.biases.users(user, group) + self.biases.item(items).squeeze(-1)
        return self.global_bias + bias + (q * p.unsqueeze(1)).sum(-1)


class NCF(nn.Module):
    """NeuMF: GMF and MLP towers with their own embeddings, fused by a linear layer."""

    def __init__(self, n_users: int, n_items: int, n_groups: int = 0, dim: int = 32,
                 mlp: tuple[int, ...] = (64, 32, 16), dropout: float = 0.0) -> None:
        super().__init__()
        self.gmf = _Factors(n_users, n_items, n_groups, dim)
        self.mlp_factors = _Factors(n_users, n_items, n_groups, mlp[0] // 2)
        layers, width = [], mlp[0]
        for out in mlp[1:]:
            layers += [nn.Linear(width, out), nn.ReLU(), nn.Dropout(dropout)]
            width = out
        self.mlp = nn.Sequential(*layers)
        self.fuse = nn.Linear(dim + width, 1)

    def scores(self, user: Tensor, group: Tensor, items: Tensor) -> Tensor:
        b, c = items.shape
        gmf = self.gmf.users(user, group).unsqueeze(1) * self.gmf.item(items)
        u = self.mlp_factors.users(user, group).unsqueeze(1).expand(b, c, -1)
        mlp = self.mlp(torch.cat([u, self.mlp_factors.item(items)], -1))
        return self.fuse(torch.cat([gmf, mlp], -1)).squeeze(-1)


class SVDpp(nn.Module):
    """SVD++ with implicit feedback from training pairs given once (:meth:`set_implicit`)."""

    def __init__(self, n_users: int, n_items: int, n_groups: int = 0, dim: int = 32) -> None:
        super().__init__()
        self.bmf = BMF(n_users, n_items, n_groups, dim)
        self.implicit = nn.Embedding(n_items, dim)
        nn.init.normal_(self.implicit.weight, std=0.01)
        self.by_group = bool(n_groups)

    def implicit_vectors(self, owners: Tensor, items: Tensor, n_owners: int) -> Tensor:
        """``|N(o)|^-1/2 sum_{j in N(o)} y_j`` for every owner ``[n_owners, dim]`` from (owner, item) pairs."""
        total = torch.zeros(n_owners, self.implicit.embedding_dim, device=items.device, dtype=self.implicit.weight.dtype)
        total = total.index_add(0, owners, self.implicit(items))
        count = torch.bincount(owners, minlength=n_owners).clamp(min=1).to(total)
        return total / count.sqrt().unsqueeze(-1)

    def scores(self, user: Tensor, group: Tensor, items: Tensor, implicit: Tensor) -> Tensor:
        """``implicit``: :meth:`implicit_vectors` of the owners (songs with groups, else clips)."""
        base = self.bmf.scores(user, group, items)
        extra = implicit[group if self.by_group else user]
        return base + (self.bmf.factors.item(items) * extra.unsqueeze(1)).sum(-1)


def _mlp(inputs: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out))


class ContentAdapter(nn.Module):
    """``f(content_u) . g(content_i) + h(content_i)``: factors and item bias from content vectors."""

    def __init__(self, user_features: int = 2, item_features: int = 2, dim: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.user_tower = _mlp(user_features, hidden, dim)
        self.item_tower = _mlp(item_features, hidden, dim + 1)

    def item_vectors(self, content: Tensor) -> Tensor:
        """``[..., dim + 1]``: the item factor and its bias in the last column."""
        return self.item_tower(content)

    def scores(self, user_content: Tensor, item_content: Tensor) -> Tensor:
        """Logits ``[B, C]`` of user content ``[B, F]`` against item content ``[B, C, G]``."""
        return self.scores_from_vectors(self.user_tower(user_content), self.item_vectors(item_content))

    @staticmethod
    def scores_from_vectors(user: Tensor, item: Tensor) -> Tensor:
        return (item[..., :-1] * user.unsqueeze(-2)).sum(-1) + item[..., -1]
