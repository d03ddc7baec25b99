"""ArtifactStore writes through held-open folders: spooled bodies (linked or copied), chunked bodies
and the stale-upload cleanup never follow a symbolic link, even one swapped in mid-upload."""
import os
import tempfile

import pytest

from mlexp.artifacts.store import ArtifactStore
from mlexp.artifacts.nofollow import LinkOnPath
from mlexp.artifacts.upload_files import TEMP_PREFIX, SpooledBody

BODY = b"0123456789" * 1000


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(str(tmp_path / "packages"))


@pytest.fixture
def victim(store):
    """Another run's folder holding one file."""
    folder = os.path.join(store.root, "ml_experiment_1", "2")
    os.makedirs(folder)
    with open(os.path.join(folder, "data.txt"), "wb") as out:
        out.write(b"theirs")
    return folder


@pytest.fixture
def spool(store):
    """A spooled request body as serve.py makes one: a named file in the packages folder."""
    folder = os.path.join(store.root, TEMP_PREFIX + "spool")
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w+b", dir=folder, prefix=TEMP_PREFIX) as file:
        file.write(BODY)
        file.seek(0)
        yield file


def _files(folder: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


def test_spooled_upload_is_linked_into_place_when_its_path_has_no_link(store, spool):
    assert store.save("ml_experiment_1/1/sub/w.bin", SpooledBody(spool, len(BODY), spool.name)) == len(BODY)
    stored = os.path.join(store.root, "ml_experiment_1", "1", "sub", "w.bin")
    assert open(stored, "rb").read() == BODY
    assert os.stat(stored).st_ino == os.fstat(spool.fileno()).st_ino  # linked, not copied
    assert oct(os.stat(stored).st_mode & 0o777) == "0o644"
    assert _files(os.path.join(store.root, "ml_experiment_1")) == ["1/sub/w.bin"]


@pytest.mark.parametrize("linked", [True, False], ids=["spool linked", "spool copied"])
@pytest.mark.parametrize("path", ["ml_experiment_1/1/link/w.bin", "ml_experiment_1/1/link/new/w.bin",
                                  "ml_experiment_1/link/w.bin"])
def test_spooled_upload_is_refused_when_a_folder_on_its_path_is_a_link(store, spool, victim, linked, path):
    os.makedirs(os.path.join(store.root, "ml_experiment_1", "1"))
    os.symlink(victim, os.path.join(store.root, "ml_experiment_1", "1", "link"))
    os.symlink(victim, os.path.join(store.root, "ml_experiment_1", "link"))
    with pytest.raises(LinkOnPath, match="symbolic link"):
        store.save(path, SpooledBody(spool, len(BODY), spool.name if linked else None))
    assert _files(victim) == ["data.txt"]
    assert os.stat(spool.name).st_nlink == 1


def test_upload_lands_in_the_folder_it_opened_when_a_link_is_swapped_in_mid_upload(store, victim):
    run = os.path.join(store.root, "ml_experiment_1", "1")

    def chunks():
        yield BODY[:10]
        os.rename(os.path.join(run, "sub"), os.path.join(run, "moved"))
        os.symlink(victim, os.path.join(run, "sub"))  # the path now leads into the other run
        yield BODY[10:]

    assert store.save("ml_experiment_1/1/sub/w.bin", chunks()) == len(BODY)
    assert _files(victim) == ["data.txt"]
    assert open(os.path.join(run, "moved", "w.bin"), "rb").read() == BODY


def test_delete_removes_only_the_link_when_the_path_is_a_link(store, victim):
    os.makedirs(os.path.join(store.root, "ml_experiment_1", "1"))
    link = os.path.join(store.root, "ml_experiment_1", "1", "link")
    os.symlink(victim, link)
    store.delete("ml_experiment_1/1/link")
    assert not os.path.lexists(link)
    assert _files(victim) == ["data.txt"]


def test_stale_cleanup_leaves_temp_names_behind_links_when_it_walks(store, victim, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"{TEMP_PREFIX}theirs").write_bytes(b"not ours")
    run = os.path.join(store.root, "ml_experiment_1", "1")
    os.makedirs(run)
    os.symlink(outside, os.path.join(run, "link"))
    os.symlink(outside / f"{TEMP_PREFIX}theirs", os.path.join(run, f"{TEMP_PREFIX}alias"))
    with open(os.path.join(run, f"{TEMP_PREFIX}crashed"), "wb") as out:
        out.write(b"half")

    assert store.remove_stale_uploads() == [f"ml_experiment_1/1/{TEMP_PREFIX}crashed"]
    assert (outside / f"{TEMP_PREFIX}theirs").read_bytes() == b"not ours"
    assert sorted(os.listdir(run)) == [f"{TEMP_PREFIX}alias", "link"]


def test_spool_folder_is_a_real_folder_when_a_link_was_planted_in_its_place(tmp_path, monkeypatch):
    from waitress import buffers

    from mlexp.http.serve import SPOOL_FOLDER, spool_bodies_into

    monkeypatch.setattr(buffers.TempfileBasedBuffer, "newfile", buffers.TempfileBasedBuffer.newfile)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / SPOOL_FOLDER).symlink_to(elsewhere)
    spool_bodies_into(str(packages))
    assert (packages / SPOOL_FOLDER).is_dir() and not (packages / SPOOL_FOLDER).is_symlink()
    spool = buffers.TempfileBasedBuffer().newfile()
    assert os.path.dirname(spool.name) == str(packages / SPOOL_FOLDER) and os.listdir(elsewhere) == []
    spool.close()
