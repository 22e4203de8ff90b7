"""Image dataset readers (OASIS, BASS, WikiArt Emotions + NRC VAD, IMEMNet-C) on tiny files written
here in each dataset's exact published format, quirks included."""

from __future__ import annotations

import os

import numpy as np
import pytest

from affectzoo.data.readers import read_bass, read_imemnet_c_images, read_nrc_vad, read_oasis, read_wikiart_emotions
from affectzoo.data.readers.wikiart import lexicon_entry
from affectzoo.errors import InputError

# --- OASIS ---------------------------------------------------------------------------------------

OASIS = (",Theme,Category,Source,Valence_mean,Valence_SD,Valence_N,Arousal_mean,Arousal_SD,Arousal_N\n"
         "I1,Acorns 1,Object,Pixabay,7,0.954202712,102,1,1.602720459,101\n"
         "I865,War 2 ,Scenery,Pixabay,2.5,1.5,101,5.5,1.8,103\n")


@pytest.fixture
def oasis_root(tmp_path):
    (tmp_path / "OASIS.csv").write_text(OASIS)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "War 2.jpg").write_bytes(b"\xff\xd8")
    return tmp_path


def test_oasis_ids_paths_and_scale(oasis_root):
    frame = read_oasis(oasis_root)
    assert list(frame["id"]) == ["I1", "I865"]                          # from the unnamed first column
    assert list(frame["theme"]) == ["Acorns 1", "War 2"]                 # trailing space stripped
    assert frame["image_path"].iloc[1] == os.path.abspath(oasis_root / "images" / "War 2.jpg")
    assert list(frame["image_exists"]) == [False, True]
    np.testing.assert_allclose(frame["valence"], [1.0, -0.5])           # (x - 4) / 3
    np.testing.assert_allclose(frame["arousal"], [-1.0, 0.5])
    assert frame["valence_sd"].iloc[1] == pytest.approx(0.5)
    assert list(frame["category"]) == ["Object", "Scenery"]
    assert list(read_oasis(oasis_root, drop_missing=True)["id"]) == ["I865"]


def test_oasis_bad_files(tmp_path):
    path = tmp_path / "OASIS.csv"
    path.write_text(OASIS.replace(",Theme", "id,Theme", 1))
    with pytest.raises(InputError, match="first header cell should be empty"):
        read_oasis(path)
    path.write_text(OASIS.replace(",7,0.95", ",8,0.95"))
    with pytest.raises(InputError, match=r"OASIS.csv: column 'Valence_mean' has 8.0 at data row 1, outside \[1, 7\]"):
        read_oasis(path)
    path.write_text(OASIS.replace("Arousal_mean", "Arousal"))
    with pytest.raises(InputError, match="missing column"):
        read_oasis(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe")
    with pytest.raises(InputError, match="OASIS.csv: not UTF-8 text"):
        read_oasis(path)
    path.write_text(OASIS + 'I2,"Acorns 3,Object\n')
    with pytest.raises(InputError, match="OASIS.csv: cannot be parsed as a ','-separated table"):
        read_oasis(path)


# --- BASS ----------------------------------------------------------------------------------------

BASS_HEADER = ("file_name,val_mean_us,aro_mean_us,val_sd_us,aro_sd_us,val_n_us,aro_n_us,val_cilo_us,val_ciup_us,"
               "aro_cilo_us,aro_ciup_us,val_mean_ch,aro_mean_ch,val_sd_ch,aro_sd_ch,val_n_ch,aro_n_ch,val_cilo_ch,"
               "val_ciup_ch,aro_cilo_ch,aro_ciup_ch,val_diff,aro_diff,val_bf_10,val_bf_01,aro_bf_10,aro_bf_01,"
               "val_resid,aro_resid,black_px,white_px,keywords,source\r\n")
BASS_ROW = ("abuse.png,1,9,0.99,2.33,100,100,1.52,1.92,6.14,7.08,5,3,1.57,2.04,300,100,2.67,3.28,4.38,5.12,"
            "1.25,1.85,944.3995 ,0.0011 ,2335.9145 ,0.0004 ,-0.9213 ,1.8686 ,35243 ,54757 ,"
            '"fight, aggression, anger",Anna Lumaca\r\n')


def test_bass_samples_and_pooling(tmp_path):
    (tmp_path / "BASS_data.csv").write_bytes((BASS_HEADER + BASS_ROW).encode())
    frame = read_bass(tmp_path)
    row = frame.iloc[0]
    assert row["id"] == "abuse"
    assert row["image_path"] == os.path.abspath(tmp_path / "images" / "abuse.png")
    assert row["valence_us"] == pytest.approx(-1.0) and row["valence_ch"] == pytest.approx(0.0)   # (x - 5) / 4
    assert row["valence"] == pytest.approx(((1 * 100 + 5 * 300) / 400 - 5) / 4)   # pooled over all 400 raters
    assert row["arousal"] == pytest.approx(((9 * 100 + 3 * 100) / 200 - 5) / 4)
    assert row["keywords"] == "fight, aggression, anger"
    us = read_bass(tmp_path, sample="us").iloc[0]
    assert (us["valence"], us["arousal"]) == (pytest.approx(-1.0), pytest.approx(1.0))
    assert read_bass(tmp_path, sample="ch").iloc[0]["arousal"] == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="sample must be one of"):
        read_bass(tmp_path, sample="both")


def test_bass_bad_files(tmp_path):
    path = tmp_path / "BASS_data.csv"
    path.write_text(BASS_HEADER + BASS_ROW.replace("abuse.png,1,9", "abuse.png,1,n/a"))
    with pytest.raises(InputError, match="'aro_mean_us' has a non-number 'n/a'"):
        read_bass(path)
    path.write_text(BASS_HEADER)
    with pytest.raises(InputError, match="no data rows"):
        read_bass(path)
    path.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_bass(path)


# --- NRC VAD + WikiArt Emotions -----------------------------------------------------------------

EMOTIONS = ("agreeableness", "anger", "disagreeableness", "happiness", "neutral")


def _lexicon(tmp_path, words: dict[str, tuple[float, float, float]], header: bool = True):
    lines = ["Word\tValence\tArousal\tDominance"] if header else []
    lines += [f"{word}\t{v}\t{a}\t{d}" for word, (v, a, d) in words.items()]
    path = tmp_path / "NRC-VAD-Lexicon.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


LEXICON = {"aaaaaaah": (0.479, 0.606, 0.291), "agreeable": (0.9, 0.3, 0.6), "anger": (0.167, 0.865, 0.657),
           "disagreeable": (0.1, 0.6, 0.4), "happiness": (0.96, 0.732, 0.85), "neutral": (0.469, 0.184, 0.357),
           "pleasant": (0.8, 0.2, 0.5), "unpleasant": (0.2, 0.7, 0.4)}


def _wikiart(tmp_path, rows: list[tuple[str, dict[str, float]]]):
    info = ["ID", "Style", "Category", "Artist", "Title", "Year", "Image URL", "Painting Info URL", "Artist Info URL",
            "Is painting", "Face/body", "Ave. art rating"]
    blocks = [f"{block}: {emotion}" for block in ("Art (image+title)", "ImageOnly", "TitleOnly")
              for emotion in EMOTIONS]
    lines = ["\t".join(info + blocks)]
    for item, image_only in rows:
        art = {"happiness": 1.0}                                        # differs from ImageOnly on purpose
        cells = [item, "Modern Art", "Impressionism", "Claude Monet", 'The "Magpie', "1869", f"https://x/{item}.jpg",
                 "https://x/info", "https://x/artist", "yes", "none", "2.1"]
        cells += [str(art.get(e, 0.0)) for e in EMOTIONS] + [str(image_only.get(e, 0.0)) for e in EMOTIONS]
        cells += ["0.0"] * len(EMOTIONS)
        lines.append("\t".join(cells))
    path = tmp_path / "WikiArt-Emotions-All.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_nrc_vad_lexicon_with_and_without_header(tmp_path):
    lexicon = read_nrc_vad(_lexicon(tmp_path, LEXICON))
    assert list(lexicon.columns) == ["word", "valence", "arousal", "dominance"]
    anger = lexicon.set_index("word").loc["anger"]
    assert anger["valence"] == pytest.approx(2 * 0.167 - 1) and anger["arousal"] == pytest.approx(2 * 0.865 - 1)
    assert len(read_nrc_vad(_lexicon(tmp_path, LEXICON, header=False))) == len(LEXICON)


def test_wikiart_weighted_lexicon_va(tmp_path):
    lexicon = _lexicon(tmp_path, LEXICON)
    tsv = _wikiart(tmp_path, [("58c6237dedc2c9c7dc0de1ae", {"anger": 0.3, "happiness": 0.1}),
                              ("58c6237dedc2c9c7dc0de1af", {})])
    frame = read_wikiart_emotions(tsv, lexicon)
    first = frame.iloc[0]
    # intensities 0.3 / 0.1 normalised to 0.75 / 0.25, weighted mean on 0..1, then 2x - 1
    assert first["valence"] == pytest.approx(2 * (0.75 * 0.167 + 0.25 * 0.96) - 1)
    assert first["arousal"] == pytest.approx(2 * (0.75 * 0.865 + 0.25 * 0.732) - 1)
    assert first["id"] == "58c6237dedc2c9c7dc0de1ae"
    assert first["image_path"] == os.path.abspath(tmp_path / "images" / "58c6237dedc2c9c7dc0de1ae.jpg")
    assert first["title"] == 'The "Magpie' and first["art_rating"] == pytest.approx(2.1)
    assert np.isnan(frame.iloc[1]["valence"])                           # no emotion at all
    art = read_wikiart_emotions(tsv, lexicon, annotation="Art (image+title)").iloc[0]
    assert art["valence"] == pytest.approx(2 * 0.96 - 1)               # the other annotation block


def test_wikiart_agreeableness_mapping(tmp_path):
    tsv = _wikiart(tmp_path, [("a", {"agreeableness": 1.0}), ("b", {"disagreeableness": 1.0})])
    frame = read_wikiart_emotions(tsv, _lexicon(tmp_path, LEXICON))
    np.testing.assert_allclose(frame["valence"], [2 * 0.9 - 1, 2 * 0.1 - 1])   # "agreeable", "disagreeable"
    fallback = {word: vad for word, vad in LEXICON.items() if word not in ("agreeable", "disagreeable")}
    lexicon = read_nrc_vad(_lexicon(tmp_path, fallback))
    assert lexicon_entry(lexicon, "agreeableness")["word"] == "pleasant"
    assert lexicon_entry(lexicon, "disagreeableness")["word"] == "unpleasant"
    frame = read_wikiart_emotions(tsv, lexicon)
    np.testing.assert_allclose(frame["arousal"], [2 * 0.2 - 1, 2 * 0.7 - 1])


def test_wikiart_bad_files(tmp_path):
    tsv = _wikiart(tmp_path, [("a", {"anger": 1.0})])
    missing = {word: vad for word, vad in LEXICON.items() if word not in ("agreeable", "pleasant")}
    with pytest.raises(InputError, match=r"NRC-VAD-Lexicon.txt: no entry for emotion 'agreeableness' \(tried"):
        read_wikiart_emotions(tsv, _lexicon(tmp_path, missing))
    lexicon = _lexicon(tmp_path, {**LEXICON, "anger": (1.5, 0.5, 0.5)})
    with pytest.raises(InputError, match="'valence' has 1.5"):
        read_nrc_vad(lexicon)
    tsv.write_text(tsv.read_text().replace("ImageOnly: ", "Image only: "))
    with pytest.raises(InputError, match="no 'ImageOnly: '<emotion> columns"):
        read_wikiart_emotions(tsv, _lexicon(tmp_path, LEXICON))
    with pytest.raises(ValueError, match="annotation must be one of"):
        read_wikiart_emotions(tsv, _lexicon(tmp_path, LEXICON), annotation="Image")


# --- IMEMNet-C -----------------------------------------------------------------------------------

def test_imemnet_c_images(tmp_path):
    (tmp_path / "imemnet_c_image_va.csv").write_text(
        ",img,valence,arousal\n0,3053,0.0,0.921847246891652\n1,Animals_001_h,0.75,0.5\n2,2352,0.5,0.25\n3,2352,1,1\n")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "Animals_001_h.JPG").write_bytes(b"\xff\xd8")
    frame = read_imemnet_c_images(tmp_path)
    assert list(frame["id"]) == ["3053", "Animals_001_h", "2352", "2352"]
    np.testing.assert_allclose(frame["valence"], [-1.0, 0.5, 0.0, 1.0])        # 2x - 1
    assert frame["arousal"].iloc[0] == pytest.approx(2 * 0.921847246891652 - 1)
    assert frame["image_path"].iloc[0] == os.path.abspath(tmp_path / "images" / "3053.jpg")
    assert frame["image_path"].iloc[1] == os.path.abspath(tmp_path / "images" / "Animals_001_h.JPG")
    assert list(frame["ambiguous"]) == [False, False, True, True]


def test_imemnet_c_bad_files(tmp_path):
    path = tmp_path / "image_va.csv"
    path.write_text(",img,valence,arousal\n0,3053,-0.2,0.5\n")
    with pytest.raises(InputError, match="image_va.csv: column 'valence' has -0.2"):
        read_imemnet_c_images(path)
    path.write_text(",image,valence,arousal\n0,3053,0.2,0.5\n")
    with pytest.raises(InputError, match=r"missing column\(s\) 'img'"):
        read_imemnet_c_images(path)
