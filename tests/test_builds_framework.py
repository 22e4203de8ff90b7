"""The build framework: manifests, cards, determinism, errors, and the `data`/`cache` commands."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from affectzoo.cli import main
from affectzoo.data import builds
from affectzoo.data.builds import BuildError, BuildResult, register_build


@pytest.fixture
def toy_build(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "data"
    root.mkdir()
    (root / "items.csv").write_text("id,v\na,0.5\nb,-0.25\nc,0.125\n")

    def toy(data_root, seed):
        table = pd.read_csv(data_root / "items.csv").sample(frac=1.0, random_state=seed)
        return BuildResult({"items": table}, counts={"items": len(table)}, label_sources={"v": "made up"},
                           licences={"toy": "CC0"}, notes=["a toy"])

    register_build("toy", 3, "a toy build")(toy)
    yield root
    builds._builds.pop("toy")


def test_build_writes_deterministic_manifest_and_card(toy_build):
    folder = builds.build("toy", toy_build, seed=1)
    assert folder.name == "v3-seed1"
    first = (folder / "items.csv").read_bytes()
    card = builds.build_card("toy", seed=1)
    assert card["rows"] == {"items": 3} and card["licences"] == {"toy": "CC0"}
    assert card["sha256"]["items.csv"]
    builds.build("toy", toy_build, seed=1, force=True)
    assert (folder / "items.csv").read_bytes() == first, "same inputs and seed, same bytes"
    assert builds.build_card("toy", seed=1)["sha256"] == card["sha256"]
    assert builds.load_build("toy", seed=1)["items"].shape == (3, 2)
    assert "| items | 3 |" in (folder / "card.md").read_text()
    assert json.loads((folder / "build_log.json").read_text())["seconds"] >= 0


def test_build_errors_are_clear(toy_build, tmp_path):
    with pytest.raises(BuildError, match="data root not found"):
        builds.build("toy", tmp_path / "absent")
    with pytest.raises(BuildError, match="has not been built; run `affectzoo data build toy"):
        builds.build_card("toy", seed=9)
    with pytest.raises(BuildError, match="unknown build 'nope'"):
        builds.build("nope", toy_build)


def test_data_and_cache_commands(toy_build, capsys):
    assert main(["data", "build", "toy", "--root", str(toy_build)]) == 0
    assert "# toy (v3, seed 0)" in capsys.readouterr().out
    assert main(["data", "info", "toy"]) == 0
    assert "| items | 3 |" in capsys.readouterr().out
    assert main(["data", "info", "toy", "--seed", "5"]) == 2
    assert "has not been built" in capsys.readouterr().err
    assert main(["cache", "info"]) == 0
    assert "builds" in capsys.readouterr().out
    assert main(["cache", "clear", "builds"]) == 0
    assert main(["cache", "info"]) == 0
    assert "(empty)" in capsys.readouterr().out


def test_open_image_va_build_on_a_tiny_root(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "data"
    (root / "oasis" / "images").mkdir(parents=True)
    (root / "bass" / "images").mkdir(parents=True)
    rows = [",Theme,Category,Source,Valence_mean,Valence_SD,Valence_N,Arousal_mean,Arousal_SD,Arousal_N"]
    for k in range(20):
        rows.append(f"I{k + 1},Theme {k}{' ' if k == 0 else ''},Object,Pixabay,{1 + k * 0.3},1,100,{7 - k * 0.3},1,100")
        if k != 5:  # one image missing from the copy: left out
            Image.new("RGB", (8, 8)).save(root / "oasis" / "images" / f"Theme {k}.jpg")
    (root / "oasis" / "OASIS.csv").write_text("\n".join(rows) + "\n")
    header = ("file_name,val_mean_us,aro_mean_us,val_sd_us,aro_sd_us,val_n_us,aro_n_us,val_cilo_us,val_ciup_us,"
              "aro_cilo_us,aro_ciup_us,val_mean_ch,aro_mean_ch,val_sd_ch,aro_sd_ch,val_n_ch,aro_n_ch,val_cilo_ch,"
              "val_ciup_ch,aro_cilo_ch,aro_ciup_ch,val_diff,aro_diff,val_bf_10,val_bf_01,aro_bf_10,aro_bf_01,"
              "val_resid,aro_resid,black_px,white_px,keywords,source")
    lines = [header] + [f"s{k}.png,{1 + k * 0.8},5,1,1,90,90,1,1,1,1,{1 + k * 0.8},5,1,1,100,100,1,1,1,1,0,0,"
                        f"1 ,1 ,1 ,1 ,0 ,0 ,10 ,10 ,\"a, b\",me" for k in range(10)]
    (root / "bass" / "BASS_data.csv").write_text("\n".join(lines) + "\n")
    card = json.loads((builds.build("open-image-va", root, seed=0) / "card.json").read_text())
    assert card["rows"] == {"items": 29}
    assert card["counts"] == {"bass": {"test": 1, "train": 8, "val": 1}, "oasis": {"test": 2, "train": 15, "val": 2}}
    items = builds.load_build("open-image-va")["items"]
    assert items["valence"].between(-1, 1).all() and items["id"].is_unique
    assert "oasis:I6" not in set(items["id"]), "rows without an image are left out"
