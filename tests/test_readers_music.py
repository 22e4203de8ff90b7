"""Music dataset readers (DEAM, 1000-Songs, PMEmo, EMOPIA, VGMIDI, Emotify) on tiny files written
here in each dataset's exact published format, quirks included."""

from __future__ import annotations

import os

import numpy as np
import pytest

from affectzoo.data.readers import (
    gems_va_proxy,
    read_1000songs,
    read_1000songs_curves,
    read_deam,
    read_emopia,
    read_emotify,
    read_emotify_listeners,
    read_pmemo,
    read_vgmidi_phrases,
    read_vgmidi_pieces,
)
from affectzoo.data.readers.emotify import GEMS_CATEGORIES
from affectzoo.errors import InputError

# --- DEAM / 1000-Songs -------------------------------------------------------------------------

DEAM_1_2000 = ("song_id, valence_mean, valence_std, arousal_mean, arousal_std\r\n"
               "2,3.1,0.94,7,0.63\r\n"
               "1001,3,0.5,8.2,1\r\n")
DEAM_2000_2058 = ("song_id, valence_mean, valence_std, valence_ max_mean, valence_max_std, valence_min_mean, "
                  "valence_min_std, arousal_mean, arousal_std, arousal_max_mean, arousal_max_std, arousal_min_mean, "
                  "arousal_min_std\r\n"
                  "2001,3.2,0.98,5.0,1.41,2.2,0.98,6.6,0.8,8.6,0.49,3.4,1.02\r\n")


@pytest.fixture
def deam_root(tmp_path):
    level = tmp_path / "annotations" / "annotations averaged per song" / "song_level"
    level.mkdir(parents=True)
    (level / "static_annotations_averaged_songs_1_2000.csv").write_bytes(DEAM_1_2000.encode())
    (level / "static_annotations_averaged_songs_2000_2058.csv").write_bytes(DEAM_2000_2058.encode())
    return tmp_path


def test_deam_songs_from_1000_songs_read_their_columns_swapped(deam_root):
    """Pins the decision of deam.py: for songs <= 1000 DEAM's valence_mean is arousal."""
    frame = read_deam(deam_root).set_index("id")
    assert frame.loc["2", "valence"] == pytest.approx((7 - 5) / 4)      # from arousal_mean
    assert frame.loc["2", "arousal"] == pytest.approx((3.1 - 5) / 4)    # from valence_mean
    assert frame.loc["2", "valence_std"] == pytest.approx(0.63 / 4)
    assert frame.loc["2", "arousal_std"] == pytest.approx(0.94 / 4)
    assert frame.loc["2", "subset"] == "2013"


def test_deam_later_songs_read_their_columns_as_named(deam_root):
    frame = read_deam(deam_root).set_index("id")
    assert frame.loc["1001", "valence"] == pytest.approx((3 - 5) / 4)
    assert frame.loc["1001", "arousal"] == pytest.approx((8.2 - 5) / 4)
    assert frame.loc["2001", "valence"] == pytest.approx((3.2 - 5) / 4)
    assert frame.loc["2001", "arousal"] == pytest.approx((6.6 - 5) / 4)
    assert list(frame["subset"]) == ["2013", "2014", "2015"]


def test_deam_ids_and_audio_paths(deam_root, tmp_path):
    frame = read_deam(deam_root)
    assert list(frame["id"]) == ["2", "1001", "2001"]
    assert frame["audio_path"].iloc[0] == os.path.abspath(deam_root / "MEMD_audio" / "2.mp3")
    single = read_deam(next(deam_root.rglob("*_2000_2058.csv")), audio_dir=tmp_path / "clips")
    assert list(single["id"]) == ["2001"]
    assert single["audio_path"].iloc[0] == os.path.abspath(tmp_path / "clips" / "2001.mp3")


def test_deam_bad_files(tmp_path):
    with pytest.raises(InputError, match="no DEAM static file"):
        read_deam(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        read_deam(tmp_path / "missing.csv")
    bad = tmp_path / "static_annotations_averaged_songs_1_2000.csv"
    bad.write_text("song_id,mean_arousal,std_arousal,mean_valence,std_valence\n2,3,1,3,1\n")
    with pytest.raises(InputError, match=r"missing column\(s\) 'valence_mean'"):
        read_deam(bad)
    bad.write_text("song_id, valence_mean, valence_std, arousal_mean, arousal_std\n2,high,0.9,7,0.6\n")
    with pytest.raises(InputError, match=r"songs_1_2000.csv: column 'valence_mean' has a non-number 'high'"):
        read_deam(bad)
    bad.write_text("song_id, valence_mean, valence_std, arousal_mean, arousal_std\n2,0.5,0.1,7,0.6\n")
    with pytest.raises(InputError, match="outside"):
        read_deam(bad)


THOUSAND_STATIC = ("song_id,mean_arousal,std_arousal,mean_valence,std_valence\n"
                   "2,3.1,0.99443,7,0.66667\n"
                   "3,8,1.8409,2,1.7029\n")
THOUSAND_INFO = ('"song_id","file_name","Artist","Song title","start of the segment (min.sec)",'
                 '"end of the segment (min.sec)","Genre","Mediaeval 2013 set"\n'
                 '2,"\t2.mp3","The New Mystikal Troubadours\t","\tTonight  A Lonely Century\t","\t0.48\t","\t1.33\t",'
                 '"\tBlues\t","development"\n'
                 '3,"\t3.mp3","Kevin MacLeod\t","\tDD Groove\t","\t0.36\t","\t1.21\t","\tBlues\t","evaluation"\n')


def _curve(values: dict[int, list[str]]) -> str:
    header = "song_id,sample_15000ms,sample_15500ms,sample_16000ms\n"
    return header + "".join(f"{song},{','.join(row)}\n" for song, row in values.items())


@pytest.fixture
def thousand_root(tmp_path):
    annotations = tmp_path / "1000songs_annotations"
    annotations.mkdir()
    (annotations / "static_annotations.csv").write_text(THOUSAND_STATIC)
    (annotations / "songs_info.csv").write_text(THOUSAND_INFO)
    (annotations / "valence_cont_average.csv").write_text(_curve({2: ["-0.1", "-0.2", "-0.3"], 3: ["0.5", "0.6", ""]}))
    (annotations / "arousal_cont_average.csv").write_text(_curve({2: ["0.1", "0.2", "0.3"], 3: ["-0.5", "-0.6", ""]}))
    return tmp_path


def test_1000songs_reads_its_columns_as_named(thousand_root):
    """Pins the decision of deam.py: 1000-Songs' mean_valence is valence, mean_arousal is arousal."""
    frame = read_1000songs(thousand_root).set_index("id")
    assert frame.loc["2", "valence"] == pytest.approx((7 - 5) / 4)
    assert frame.loc["2", "arousal"] == pytest.approx((3.1 - 5) / 4)
    assert frame.loc["3", "valence"] == pytest.approx(-0.75)
    assert frame.loc["3", "arousal_std"] == pytest.approx(1.8409 / 4)
    assert frame.loc["2", "audio_path"] == os.path.abspath(thousand_root / "audio_1000songs" / "2.mp3")
    assert frame.loc["2", "artist"] == "The New Mystikal Troubadours"   # tabs inside quotes stripped
    assert frame.loc["2", "title"] == "Tonight  A Lonely Century"
    assert list(frame["genre"]) == ["Blues", "Blues"]
    assert list(frame["mediaeval_set"]) == ["development", "evaluation"]


def test_1000songs_curves_long_format(thousand_root):
    curves = read_1000songs_curves(thousand_root / "1000songs_annotations")
    assert len(curves) == 5                               # song 3's empty last sample dropped
    first = curves.iloc[0]
    assert (first["id"], first["time_s"], first["valence"], first["arousal"]) == ("2", 15.0, -0.1, 0.1)
    assert list(curves[curves["song_id"] == 2]["time_s"]) == [15.0, 15.5, 16.0]


def test_1000songs_bad_curves(thousand_root):
    annotations = thousand_root / "1000songs_annotations"
    (annotations / "arousal_cont_average.csv").write_text(_curve({2: ["0.1", "0.2", "1.7"]}))
    with pytest.raises(InputError, match=r"arousal_cont_average.csv: column 'sample_16000ms' has 1.7"):
        read_1000songs_curves(annotations)
    (annotations / "arousal_cont_average.csv").write_text(_curve({2: ["0.1", "0.2", "0.3"]}))
    with pytest.raises(InputError, match="list different songs"):
        read_1000songs_curves(annotations)
    (annotations / "arousal_cont_average.csv").write_text("song_id,mean\n2,0.1\n")
    with pytest.raises(InputError, match="no sample_<ms>ms columns"):
        read_1000songs_curves(annotations)


# --- PMEmo ---------------------------------------------------------------------------------------

def test_pmemo_shared_table(tmp_path):
    (tmp_path / "pmemo_static_va.csv").write_text(
        "musicId,title,artist,valence_mean,arousal_mean\n1,Good Drank,2 Chainz,0.575,0.4\n4,X,21 Savage,0,1\n")
    frame = read_pmemo(tmp_path)
    assert list(frame["id"]) == ["1", "4"]
    np.testing.assert_allclose(frame["valence"], [0.15, -1.0])
    np.testing.assert_allclose(frame["arousal"], [-0.2, 1.0])
    assert frame["audio_path"].iloc[0] == os.path.abspath(tmp_path / "chorus" / "1.mp3")
    assert frame["title"].iloc[0] == "Good Drank"


def test_pmemo_release_layout(tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "static_annotations.csv").write_text(
        "musicId,Arousal(mean),Valence(mean)\n7,0.8,0.25\n")
    frame = read_pmemo(tmp_path)
    assert frame["valence"].iloc[0] == pytest.approx(-0.5)
    assert frame["arousal"].iloc[0] == pytest.approx(0.6)
    assert frame["audio_path"].iloc[0] == os.path.abspath(tmp_path / "chorus" / "7.mp3")


def test_pmemo_bad_files(tmp_path):
    path = tmp_path / "pmemo_static_va.csv"
    path.write_text("musicId,title,valence,arousal\n1,a,0.5,0.5\n")
    with pytest.raises(InputError, match="no PMEmo valence/arousal columns"):
        read_pmemo(path)
    path.write_text("musicId,valence_mean,arousal_mean\n1,0.5,5\n")
    with pytest.raises(InputError, match="'arousal_mean' has 5.0 at data row 1, outside"):
        read_pmemo(path)
    path.write_text("musicId,valence_mean,arousal_mean\n1,0.5,0.5\n1,0.2,0.3\n")
    with pytest.raises(InputError, match="repeats the id '1'"):
        read_pmemo(path)


# --- EMOPIA --------------------------------------------------------------------------------------

@pytest.fixture
def emopia_root(tmp_path):
    midis = tmp_path / "midis"
    midis.mkdir()
    for clip in ("Q1_0vLPYiPN7qY_0", "Q2_L3_TadjSQQ0_0", "Q3_ii1Jw1-7Ka4_1", "Q4_iXiSFSGws-c_2", "Q4_iXiSFSGws-c_3"):
        (midis / f"{clip}.mid").write_bytes(b"MThd")
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "train.csv").write_text("fname,label\nQ4_iXiSFSGws-c_2,Q4\nQ2_L3_TadjSQQ0_0,Q2\n")
    (splits / "val.csv").write_text("fname,label\nQ1_0vLPYiPN7qY_0,Q1\n")
    (splits / "test.csv").write_text("fname,label\nQ3_ii1Jw1-7Ka4_1,Q3\n")
    return tmp_path


def test_emopia_quadrants_songs_and_splits(emopia_root):
    frame = read_emopia(emopia_root).set_index("id")
    assert (frame.loc["Q1_0vLPYiPN7qY_0", "valence"], frame.loc["Q1_0vLPYiPN7qY_0", "arousal"]) == (1.0, 1.0)
    assert (frame.loc["Q2_L3_TadjSQQ0_0", "valence"], frame.loc["Q2_L3_TadjSQQ0_0", "arousal"]) == (-1.0, 1.0)
    assert (frame.loc["Q3_ii1Jw1-7Ka4_1", "valence"], frame.loc["Q3_ii1Jw1-7Ka4_1", "arousal"]) == (-1.0, -1.0)
    assert (frame.loc["Q4_iXiSFSGws-c_2", "valence"], frame.loc["Q4_iXiSFSGws-c_2", "arousal"]) == (1.0, -1.0)
    assert frame.loc["Q2_L3_TadjSQQ0_0", "song_id"] == "L3_TadjSQQ0"     # underscore inside the YouTube id
    assert frame.loc["Q3_ii1Jw1-7Ka4_1", "clip_index"] == 1
    assert frame.loc["Q1_0vLPYiPN7qY_0", "split"] == "val"
    assert frame.loc["Q4_iXiSFSGws-c_3", "split"] == "none"
    assert frame.loc["Q1_0vLPYiPN7qY_0", "midi_path"] == os.path.abspath(emopia_root / "midis" / "Q1_0vLPYiPN7qY_0.mid")


def test_emopia_bad_files(emopia_root, tmp_path):
    (emopia_root / "splits" / "test.csv").write_text("fname,label\nQ3_ii1Jw1-7Ka4_1,Q1\n")
    with pytest.raises(InputError, match=r"test.csv: data row 1: label 'Q1' disagrees"):
        read_emopia(emopia_root)
    (emopia_root / "splits" / "test.csv").write_text("fname,label\nQ1_0vLPYiPN7qY_0,Q1\n")
    with pytest.raises(InputError, match="already in the val split"):
        read_emopia(emopia_root)
    (emopia_root / "splits" / "test.csv").unlink()
    with pytest.raises(InputError, match="test.csv: file not found"):
        read_emopia(emopia_root)
    (emopia_root / "midis" / "Q5_x_0.mid").write_bytes(b"")
    with pytest.raises(InputError, match="Q5_x_0.mid: file name is not"):
        read_emopia(emopia_root)
    with pytest.raises(InputError, match="no midis/ folder"):
        read_emopia(tmp_path / "elsewhere")


# --- VGMIDI --------------------------------------------------------------------------------------

PIECES = ("round,piece_key,midi,name,n_annotators,measures,duration_s,valence_mean,valence_sd_between,"
          "arousal_mean,arousal_sd_between,in_labelled_csv,csv_valence,csv_arousal,midi_file_present\r\n"
          "1,piece0,Final Fantasy_PS1_Final Fantasy VII_Lurking In The Darkness.mid,Lurking In The Darkness,"
          "30,32,63.0,-0.2039,0.2166,-0.0328,0.3519,1,-1,-1,1\r\n"
          "2,piece0,Other_N64_GoldenEye 007_Caverns.mid,Caverns,31,40,70.0,0.1518,0.4204,0.5,0.3873,2,-1,1,1\r\n")
PHRASES = ("id,series,console,game,piece,midi,valence,arousal\r\n"
           "8016,Other,N64,GoldenEye 007,Caverns,labelled/phrases/Other_N64_GoldenEye 007_Caverns_0.mid,-1,-1\r\n"
           "8016,Other,N64,GoldenEye 007,Caverns,labelled/phrases/Other_N64_GoldenEye 007_Caverns_1.mid,-1,1\r\n")


def test_vgmidi_pieces_and_phrases_share_piece_ids(tmp_path):
    (tmp_path / "vgmidi_piece_va_from_raw.csv").write_bytes(PIECES.encode())
    (tmp_path / "vgmidi_labelled.csv").write_bytes(PHRASES.encode())
    pieces = read_vgmidi_pieces(tmp_path)
    phrases = read_vgmidi_phrases(tmp_path)
    assert list(pieces["id"]) == ["Final Fantasy_PS1_Final Fantasy VII_Lurking In The Darkness",
                                  "Other_N64_GoldenEye 007_Caverns"]
    assert pieces["valence"].iloc[0] == pytest.approx(-0.2039)           # already on [-1, 1]
    assert pieces["arousal"].iloc[1] == pytest.approx(0.5)
    caverns = "Other_N64_GoldenEye 007_Caverns"
    assert pieces["midi_path"].iloc[1] == os.path.abspath(tmp_path / "labelled" / "midi" / f"{caverns}.mid")
    assert list(phrases["id"]) == ["Other_N64_GoldenEye 007_Caverns_0", "Other_N64_GoldenEye 007_Caverns_1"]
    assert set(phrases["piece_id"]) == {"Other_N64_GoldenEye 007_Caverns"}
    assert list(phrases["phrase"]) == [0, 1]
    assert list(phrases["arousal"]) == [-1.0, 1.0]
    assert phrases["midi_path"].iloc[0] == os.path.abspath(tmp_path / "labelled" / "phrases" / f"{caverns}_0.mid")


def test_vgmidi_bad_files(tmp_path):
    path = tmp_path / "vgmidi_labelled.csv"
    path.write_text(PHRASES.replace(",-1,1\r\n", ",-1,0.5\r\n"))
    with pytest.raises(InputError, match="'arousal' should be one of -1, 1, got 0.5 at data row 2"):
        read_vgmidi_phrases(path)
    path.write_text(PHRASES.replace("Caverns_1.mid", "Caverns.mid"))
    with pytest.raises(InputError, match="data row 2 is not <piece>_<k>.mid"):
        read_vgmidi_phrases(path)
    pieces = tmp_path / "vgmidi_piece_va_from_raw.csv"
    pieces.write_text(PIECES.replace("Other_N64_GoldenEye 007_Caverns.mid",
                                     "Final Fantasy_PS1_Final Fantasy VII_Lurking In The Darkness.mid"))
    with pytest.raises(InputError, match="repeats the id"):
        read_vgmidi_pieces(pieces)


# --- Emotify -------------------------------------------------------------------------------------

LISTENERS = ("track id, genre, amazement, solemnity, tenderness, nostalgia, calmness, power, joyful_activation, "
             "tension, sadness, mood, liked, disliked, age, gender, mother tongue\n"
             "1,classical,0,1,0,0,0,0,1,1,0,3,1,0,21,1,English\n"
             "1,classical,0,0,0,1,0,0,0,0,0,3,0,1,41,1,Dutch\n"
             "101,rock,0,0,0,0,0,1,0,1,0,4,1,0,30,0,Dutch\n"
             "200,rock,0,0,0,0,0,0,0,0,0,,0,0,,1,English\n")


def test_emotify_shares_paths_and_proxy(tmp_path):
    (tmp_path / "data.csv").write_text(LISTENERS)
    frame = read_emotify(tmp_path).set_index("id")
    assert list(frame.index) == ["1", "101", "200"]
    assert frame.loc["1", "n_annotations"] == 2
    assert frame.loc["1", "solemnity"] == 0.5 and frame.loc["1", "nostalgia"] == 0.5
    assert frame.loc["1", "disliked"] == 0.5
    # id -> file: <genre>/<((track_id - 1) mod 100) + 1>.ogg
    assert frame.loc["1", "audio_path"] == os.path.abspath(tmp_path / "audio_30s_ogg" / "classical" / "1.ogg")
    assert frame.loc["101", "audio_path"] == os.path.abspath(tmp_path / "audio_30s_ogg" / "rock" / "1.ogg")
    assert frame.loc["200", "audio_path"] == os.path.abspath(tmp_path / "audio_30s_ogg" / "rock" / "100.ogg")
    # track 101: power (+1, +1) and tension (-1, +1), one vote each
    assert (frame.loc["101", "valence_proxy"], frame.loc["101", "arousal_proxy"]) == (0.0, 1.0)
    # track 1: votes solemnity, joyful activation, tension, nostalgia (one each)
    assert frame.loc["1", "valence_proxy"] == pytest.approx((1 + 1 - 1 + 1) / 4)
    assert frame.loc["1", "arousal_proxy"] == pytest.approx((0 + 1 + 1 - 1) / 4)
    assert np.isnan(frame.loc["200", "valence_proxy"])                 # no votes at all
    assert "valence" not in frame.columns                               # a proxy is never labelled as a rating


def test_emotify_track_table_matches_listener_file(tmp_path):
    (tmp_path / "data.csv").write_text(LISTENERS)
    from_listeners = read_emotify(tmp_path / "data.csv")
    header = "track_id,genre,n_annotations," + ",".join(f"p_{name}" for name in (*GEMS_CATEGORIES, "liked", "disliked"))
    rows = [",".join([str(row.track_id), row.genre, str(row.n_annotations),
                      *(f"{getattr(row, name):.4f}" for name in (*GEMS_CATEGORIES, "liked", "disliked"))])
            for row in from_listeners.itertuples()]
    table = tmp_path / "emotify_track_gems.csv"
    table.write_text(header + "\n" + "\n".join(rows) + "\n")
    from_table = read_emotify(table, audio_dir=tmp_path / "mp3", audio_suffix=".mp3")
    np.testing.assert_allclose(from_table["valence_proxy"], from_listeners["valence_proxy"], atol=1e-4)
    assert from_table["audio_path"].iloc[1] == os.path.abspath(tmp_path / "mp3" / "rock" / "1.mp3")


def test_emotify_proxy_follows_the_cited_placement():
    shares = np.eye(len(GEMS_CATEGORIES))
    valence, arousal = gems_va_proxy(shares)
    placed = dict(zip(GEMS_CATEGORIES, zip(valence, arousal)))
    assert placed["sadness"] == (-1.0, -1.0) and placed["tension"] == (-1.0, 1.0)
    assert placed["calmness"] == (1.0, -1.0) and placed["joyful_activation"] == (1.0, 1.0)
    assert placed["solemnity"] == (1.0, 0.0)


def test_emotify_bad_files(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(LISTENERS.replace("0,3,1,0,21", "0,3,2,0,21"))
    with pytest.raises(InputError, match="'liked' should be one of 0, 1, got 2.0 at data row 1"):
        read_emotify_listeners(path)
    path.write_text(LISTENERS.replace("101,rock", "1,rock"))
    with pytest.raises(InputError, match="track 1 is listed under several genres"):
        read_emotify(path)
    path.write_text(LISTENERS.replace(", mother tongue", ""))
    with pytest.raises(InputError, match="missing column"):
        read_emotify(path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no Emotify data.csv"):
        read_emotify(empty)


def test_agreed_deam_keeps_songs_under_both_sd_limits_on_the_1_to_9_scale(deam_root):
    from affectzoo.data.readers import agreed_deam

    frame = read_deam(deam_root)
    assert sorted(agreed_deam(frame)["id"]) == ["1001", "2", "2001"], "the paper's limits (1.75, 1.0) keep all three"
    assert agreed_deam(frame, valence_sd=0.6)["id"].tolist() == ["1001"], "valence SDs 0.63 and 0.98 are over 0.6"
    assert agreed_deam(frame, arousal_sd=0.9)["id"].tolist() == ["2001"]
