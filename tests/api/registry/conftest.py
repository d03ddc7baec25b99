"""Servers the registry tests share, one each for the whole package (a new app costs more than most
tests): `api` for tests that write, each under model names of its own, and `seeded` for error
cases, whose requests must all fail."""
import pytest

from tests.api.helpers import make_api
from tests.api.registry.helpers import create_model, create_version, set_alias


@pytest.fixture(scope="package")
def api(tmp_path_factory):
    """One server for the package's writing tests: each test uses model names of its own, and
    searches filter on them."""
    return make_api(tmp_path_factory, "registry")


@pytest.fixture
def experiment_id(api, request):
    """A new experiment per test, named after it."""
    return api.create_experiment(request.node.name)


@pytest.fixture(scope="package")
def seeded(tmp_path_factory):
    """For error cases, whose requests must all fail: model "champ" with versions 1 and 2
    (alias "best" on 2, tag k=v on both the model and version 1) and the empty model "bare".
    Returns the api."""
    api = make_api(tmp_path_factory, "registry_errors")
    create_model(api, "champ", tags=[{"key": "k", "value": "v"}])
    create_model(api, "bare")
    create_version(api, "champ", tags=[{"key": "k", "value": "v"}])
    create_version(api, "champ")
    set_alias(api, "champ", "best", "2")
    return api
