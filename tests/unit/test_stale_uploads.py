"""ArtifactStore.remove_stale_uploads: temp files of crashed uploads go, live uploads' files stay."""
import fcntl
import os

import pytest

from mlexp.artifacts.store import ArtifactStore
from mlexp.errors import InvalidParameter, NotFound
from mlexp.artifacts.upload_files import TEMP_PREFIX


def test_stale_upload_is_removed_when_no_writer_holds_it(tmp_path):
    run = tmp_path / "ml_experiment_1" / "1"
    run.mkdir(parents=True)
    (run / f"{TEMP_PREFIX}crashed").write_bytes(b"half")
    (run / "model.bin").write_bytes(b"whole")

    removed = ArtifactStore(str(tmp_path)).remove_stale_uploads()

    assert removed == [f"ml_experiment_1/1/{TEMP_PREFIX}crashed"]
    assert sorted(os.listdir(run)) == ["model.bin"]


def test_upload_in_progress_is_kept_when_its_writer_holds_the_lock(tmp_path):
    live = tmp_path / f"{TEMP_PREFIX}live"
    live.write_bytes(b"arriving")
    with open(live, "rb") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)  # as ArtifactStore.save holds it until the rename
        removed = ArtifactStore(str(tmp_path)).remove_stale_uploads()
    assert removed == []
    assert live.exists()


def test_saved_file_is_whole_and_no_temp_file_is_left_when_an_upload_finishes(tmp_path):
    store = ArtifactStore(str(tmp_path))
    assert store.save("ml_experiment_1/1/a.bin", [b"x" * 1000, b"y" * 24]) == 1024
    assert (tmp_path / "ml_experiment_1" / "1" / "a.bin").read_bytes() == b"x" * 1000 + b"y" * 24
    assert os.listdir(tmp_path / "ml_experiment_1" / "1") == ["a.bin"]
    assert oct(os.stat(tmp_path / "ml_experiment_1" / "1" / "a.bin").st_mode & 0o777) == "0o644"


def test_upload_is_refused_when_its_name_is_reserved_for_temp_files(tmp_path):
    store = ArtifactStore(str(tmp_path))
    with pytest.raises(InvalidParameter, match="reserved for uploads in progress"):
        store.save(f"ml_experiment_1/1/{TEMP_PREFIX}mine.bin", [b"data"])
    assert not (tmp_path / "ml_experiment_1" / "1" / f"{TEMP_PREFIX}mine.bin").exists()


def test_temp_file_cannot_be_downloaded_when_its_name_is_known(tmp_path):
    (tmp_path / f"{TEMP_PREFIX}abc").write_bytes(b"half")
    with pytest.raises(NotFound):
        ArtifactStore(str(tmp_path)).file_path(f"{TEMP_PREFIX}abc")
