"""Uploads and deletes never follow a symlink planted on their path; deleting a link removes only it."""
import os

import pytest

from mlexp.cli import gc_command
from tests.api.helpers import INVALID, NOT_FOUND, assert_error

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
MINE = {"data.txt": b"mine", "nested/deep.txt": b"deep"}


@pytest.fixture
def packages(app):
    return app.config["PACKAGES_DIR"]


@pytest.fixture
def runs(api, client, packages):
    """Run 1 (the one written to) and run 2 (the victim) in experiment 0, each holding MINE."""
    for iid in (1, 2):
        assert api.create_run("0")["info"]["artifact_uri"].endswith(f"/ml_experiment_0/{iid}")
        for name, data in MINE.items():
            assert client.put(f"{ARTIFACTS}/ml_experiment_0/{iid}/{name}", data=data).status_code == 200
    return os.path.join(packages, "ml_experiment_0", "1"), os.path.join(packages, "ml_experiment_0", "2")


def _tree(folder: str) -> dict:
    """Every file below `folder` (links not followed) with its content: what must stay intact."""
    found = {}
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder)] = os.readlink(path) if os.path.islink(path) \
                else open(path, "rb").read()
    return found


def _put(client, path: str, data: bytes = b"evil"):
    response = client.put(f"{ARTIFACTS}/{path}", data=data)
    return response.status_code, response.get_json()


def _delete(client, path: str):
    response = client.delete(f"{ARTIFACTS}/{path}")
    return response.status_code, response.get_json()


@pytest.fixture(params=["active run", "deleted run", "outside"])
def victim(request, api, runs, tmp_path_factory):
    """The folder a link in run 1 points at: another run's (active or soft-deleted) or one outside."""
    if request.param == "outside":
        outside = tmp_path_factory.mktemp("outside")
        (outside / "data.txt").write_bytes(b"theirs")
        (outside / "nested").mkdir()
        (outside / "nested" / "deep.txt").write_bytes(b"theirs too")
        return str(outside)
    if request.param == "deleted run":
        _delete_run(api, 2)
    return runs[1]


@pytest.mark.parametrize("path", ["link/new.txt", "link/nested/new.txt", "link/sub/new.txt"])
def test_upload_is_refused_when_a_folder_on_its_path_is_a_link(client, runs, victim, path):
    os.symlink(victim, os.path.join(runs[0], "link"))
    before = _tree(victim)
    assert_error(_put(client, f"ml_experiment_0/1/{path}"), INVALID, "symbolic link")
    assert _tree(victim) == before


def test_upload_is_refused_when_the_run_folder_itself_is_a_link(api, client, runs, packages):
    assert api.create_run("0")["info"]["artifact_uri"].endswith("/ml_experiment_0/3")
    os.symlink(runs[1], os.path.join(packages, "ml_experiment_0", "3"))
    before = _tree(runs[1])
    assert_error(_put(client, "ml_experiment_0/3/new.txt"), INVALID, "symbolic link", "ml_experiment_0/3")
    assert _tree(runs[1]) == before


def test_upload_is_refused_when_the_file_name_is_a_link_to_another_runs_file(client, runs):
    link = os.path.join(runs[0], "alias.txt")
    os.symlink(os.path.join(runs[1], "data.txt"), link)
    assert_error(_put(client, "ml_experiment_0/1/alias.txt"), INVALID, "symbolic link")
    assert _tree(runs[1]) == MINE
    assert os.readlink(link) == os.path.join(runs[1], "data.txt")


def test_upload_lands_in_the_run_when_its_path_has_no_link(client, runs):
    assert _put(client, "ml_experiment_0/1/deep/er/new.txt", b"fresh") == (200, {})
    assert _tree(runs[0]) == {**MINE, "deep/er/new.txt": b"fresh"}


def test_delete_removes_only_the_link_when_the_path_is_a_link_to_a_folder(client, runs, victim):
    os.symlink(victim, os.path.join(runs[0], "link"))
    before = _tree(victim)
    assert _delete(client, "ml_experiment_0/1/link") == (200, {})
    assert not os.path.lexists(os.path.join(runs[0], "link"))
    assert _tree(victim) == before


@pytest.mark.parametrize("target", ["../2/data.txt", "nowhere"])
def test_delete_removes_only_the_link_when_the_path_is_a_link_to_a_file(client, runs, target):
    os.symlink(target, os.path.join(runs[0], "alias.txt"))
    assert _delete(client, "ml_experiment_0/1/alias.txt") == (200, {})
    assert _tree(runs[0]) == MINE
    assert _tree(runs[1]) == MINE


@pytest.mark.parametrize("path", ["link/data.txt", "link/nested", "link/nested/deep.txt"])
def test_delete_is_refused_when_a_folder_on_its_path_is_a_link(client, runs, victim, path):
    os.symlink(victim, os.path.join(runs[0], "link"))
    before = _tree(victim)
    assert_error(_delete(client, f"ml_experiment_0/1/{path}"), INVALID, "symbolic link")
    assert _tree(victim) == before


def test_delete_is_refused_when_the_run_folder_itself_is_a_link(api, client, runs, packages):
    assert api.create_run("0")["info"]["artifact_uri"].endswith("/ml_experiment_0/3")
    os.symlink(runs[1], os.path.join(packages, "ml_experiment_0", "3"))
    assert_error(_delete(client, "ml_experiment_0/3/data.txt"), INVALID, "symbolic link")
    assert _tree(runs[1]) == MINE


def test_delete_answers_not_found_when_nothing_is_there(client, runs):
    assert_error(_delete(client, "ml_experiment_0/1/missing/file.txt"), NOT_FOUND)
    assert_error(_delete(client, "ml_experiment_0/1/data.txt/below"), NOT_FOUND)
    assert _tree(runs[0]) == MINE


def _gc(app) -> str:
    result = app.test_cli_runner().invoke(gc_command)
    assert result.exit_code == 0, result.output
    return result.output


def _delete_run(api, iid: int, experiment_id: str = "0") -> None:
    found = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    run_id = next(r["info"]["run_id"] for r in found if r["info"]["artifact_uri"].endswith(f"/{iid}"))
    api.ok_post("/runs/delete", {"run_id": run_id})


def test_gc_keeps_the_target_when_a_deleted_runs_folder_holds_a_link(app, api, runs):
    os.symlink(runs[1], os.path.join(runs[0], "link"))
    os.symlink(os.path.join(runs[1], "data.txt"), os.path.join(runs[0], "alias.txt"))
    _delete_run(api, 1)
    _gc(app)
    assert not os.path.lexists(runs[0])
    assert _tree(runs[1]) == MINE


def test_gc_removes_only_the_link_when_a_deleted_runs_folder_is_a_link(app, api, runs, packages):
    assert api.create_run("0")["info"]["artifact_uri"].endswith("/ml_experiment_0/3")
    os.symlink(runs[1], os.path.join(packages, "ml_experiment_0", "3"))
    _delete_run(api, 3)
    _gc(app)
    assert not os.path.lexists(os.path.join(packages, "ml_experiment_0", "3"))
    assert _tree(runs[1]) == MINE


def test_gc_removes_only_the_link_when_a_deleted_experiments_folder_is_a_link(app, api, runs, packages):
    experiment_id = api.create_experiment("linked")
    os.symlink(os.path.join(packages, "ml_experiment_0"), os.path.join(packages, f"ml_experiment_{experiment_id}"))
    api.ok_post("/experiments/delete", {"experiment_id": experiment_id})
    _gc(app)
    assert not os.path.lexists(os.path.join(packages, f"ml_experiment_{experiment_id}"))
    assert _tree(runs[1]) == MINE
    assert _tree(runs[0]) == MINE


def test_gc_leaves_the_target_when_a_deleted_runs_experiment_folder_is_a_link(app, api, runs, packages):
    experiment_id = api.create_experiment("moved")
    api.create_run(experiment_id)
    linked = os.path.join(packages, f"ml_experiment_{experiment_id}")
    os.symlink(os.path.join(packages, "ml_experiment_0"), linked)
    _delete_run(api, 1, experiment_id)
    output = _gc(app)
    assert "symbolic link" in output
    assert os.path.islink(linked)
    assert _tree(runs[0]) == MINE
