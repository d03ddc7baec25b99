"""experiments/search: paging, order_by, view_type and the filter grammar."""
import base64
import json

import pytest

from tests.api.helpers import INVALID, assert_error, make_api, next_ms


def names(response: dict) -> list[str]:
    return [e["name"] for e in response.get("experiments", [])]


def search(api, **body) -> dict:
    return api.ok_post("/experiments/search", body)


def create_trio(api) -> dict:
    """Three experiments created in the order b, c, a, a millisecond apart, after Default."""
    ids = {}
    for name in ("b", "c", "a"):
        next_ms()
        ids[name] = api.create_experiment(name)
    return ids


@pytest.fixture
def trio(api):
    return create_trio(api)


@pytest.fixture(scope="module")
def trio_api(tmp_path_factory):
    """Read-only: Default, then b, c, a."""
    api = make_api(tmp_path_factory, "trio")
    create_trio(api)
    return api


@pytest.fixture(scope="module")
def trio_deleted_api(tmp_path_factory):
    """Read-only: Default, then b (deleted), c, a."""
    api = make_api(tmp_path_factory, "trio_deleted")
    ids = create_trio(api)
    api.ok_post("/experiments/delete", {"experiment_id": ids["b"]})
    return api


def test_search_returns_active_experiments_newest_first_when_no_arguments(trio_api):
    response = search(trio_api)
    assert names(response) == ["a", "c", "b", "Default"]
    assert "next_page_token" not in response


def test_search_answers_get_with_query_string_when_called_by_get(trio_api):
    response = trio_api.ok_get("/experiments/search",
                          {"max_results": "2", "order_by": ["name DESC"], "filter": "name != 'c'"})
    assert names(response) == ["b", "a"]
    assert "next_page_token" in response


def test_search_pages_through_all_experiments_when_max_results_is_small(api):
    for i in range(7):
        api.create_experiment(f"exp-{i}")
    seen, token, pages = [], None, 0
    while True:
        body = {"max_results": 3, "order_by": ["name"]}
        if token:
            body["page_token"] = token
        response = search(api, **body)
        pages += 1
        assert len(response["experiments"]) <= 3
        seen += names(response)
        token = response.get("next_page_token")
        if not token:
            break
    assert pages == 3
    assert seen == ["Default"] + [f"exp-{i}" for i in range(7)]


def test_search_omits_next_page_token_when_last_page_is_exactly_full(api):
    api.create_experiment("one")
    response = search(api, max_results=2)
    assert len(response["experiments"]) == 2
    assert "next_page_token" not in response


@pytest.mark.parametrize("order_by", [[], ["name DESC"], ["creation_time"], ["last_update_time DESC"],
                                      ["experiment_id DESC"]], ids=repr)
def test_paging_matches_one_big_page_when_order_by_varies(trio_deleted_api, order_by):
    base = {"order_by": order_by, "view_type": "ALL"}
    everything = names(search(trio_deleted_api, **base))
    seen, token = [], None
    for _ in range(10):
        response = search(trio_deleted_api, **base, max_results=1,
                          **({"page_token": token} if token else {}))
        seen += names(response)
        token = response.get("next_page_token")
        if not token:
            break
    assert len(everything) == 4
    assert seen == everything


@pytest.mark.parametrize("order_by, expected", [
    (["name"], ["Default", "a", "b", "c"]),
    (["name ASC"], ["Default", "a", "b", "c"]),
    (["name DESC"], ["c", "b", "a", "Default"]),
    (["attribute.name DESC"], ["c", "b", "a", "Default"]),
    (["creation_time"], ["Default", "b", "c", "a"]),
    (["creation_time DESC"], ["a", "c", "b", "Default"]),
    (["experiment_id"], ["Default", "b", "c", "a"]),
    (["experiment_id DESC"], ["a", "c", "b", "Default"]),
])
def test_search_sorts_when_order_by_is_given(trio_api, order_by, expected):
    assert names(search(trio_api, order_by=order_by)) == expected


def test_search_sorts_by_last_update_time_when_an_experiment_is_touched(api, trio):
    next_ms()
    api.ok_post("/experiments/update", {"experiment_id": trio["b"], "new_name": "b2"})
    assert names(search(api, order_by=["last_update_time DESC"]))[:2] == ["b2", "a"]
    assert names(search(api, order_by=["last_update_time"])) == ["Default", "c", "a", "b2"]


@pytest.mark.parametrize("view_type, expected", [
    ("ACTIVE_ONLY", ["Default", "a", "c"]),
    ("DELETED_ONLY", ["b"]),
    ("ALL", ["Default", "a", "b", "c"]),
    (1, ["Default", "a", "c"]),
    (2, ["b"]),
    (3, ["Default", "a", "b", "c"]),
])
def test_search_filters_lifecycle_when_view_type_is_given(trio_deleted_api, view_type, expected):
    assert names(search(trio_deleted_api, view_type=view_type, order_by=["name"])) == expected


def test_search_reads_view_type_from_query_string_when_called_by_get(trio_deleted_api):
    response = trio_deleted_api.ok_get("/experiments/search", {"view_type": "DELETED_ONLY"})
    assert names(response) == ["b"]


@pytest.fixture(scope="module")
def named_api(tmp_path_factory):
    """Read-only: names that tell case-sensitive LIKE from ILIKE and wildcards from text."""
    api = make_api(tmp_path_factory, "named")
    for name in ("Alpha", "alphabet", "ALPHA-2", "beta", "a_b", "a%b"):
        api.create_experiment(name)
    return api


@pytest.mark.parametrize("filter_string, expected", [
    ("name = 'Alpha'", ["Alpha"]),
    ("attribute.name = 'Alpha'", ["Alpha"]),
    ("name = 'alpha'", []),
    ("name != 'beta'", ["ALPHA-2", "Alpha", "Default", "a%b", "a_b", "alphabet"]),
    ("name LIKE 'Alpha%'", ["Alpha"]),
    ("name LIKE 'alpha%'", ["alphabet"]),
    ("name LIKE '%ALPHA%'", ["ALPHA-2"]),
    ("name LIKE 'a_b'", ["a%b", "a_b"]),
    ("name ILIKE 'alpha%'", ["ALPHA-2", "Alpha", "alphabet"]),
    ("name ILIKE '%ETA'", ["beta"]),
    ("name like 'be%'", ["beta"]),
    ("name LIKE 'Alpha%' AND name != 'Alpha'", []),
])
def test_search_matches_names_when_filter_is_on_name(named_api, filter_string, expected):
    assert sorted(names(search(named_api, filter=filter_string))) == expected


@pytest.fixture(scope="module")
def tagged_api(tmp_path_factory):
    """Read-only: two tagged experiments and one without tags."""
    api = make_api(tmp_path_factory, "tagged")
    api.create_experiment("cv", tags=[{"key": "team", "value": "Vision"},
                                      {"key": "my key", "value": "x"}])
    api.create_experiment("nlp", tags=[{"key": "team", "value": "language"}])
    api.create_experiment("untagged")
    return api


@pytest.mark.parametrize("filter_string, expected", [
    ("tags.team = 'Vision'", ["cv"]),
    ("tags.team != 'Vision'", ["nlp"]),
    ("tags.team LIKE 'V%'", ["cv"]),
    ("tags.team LIKE 'v%'", []),
    ("tags.team ILIKE 'v%'", ["cv"]),
    ("tags.team ILIKE '%AN%'", ["nlp"]),
    ("tags.`my key` = 'x'", ["cv"]),
    ('tags."my key" = \'x\'', ["cv"]),
    ("tags.team = 'Vision' AND name = 'cv'", ["cv"]),
    ("tags.team = 'Vision' AND name = 'nlp'", []),
    ("tags.missing = 'x'", []),
])
def test_search_matches_tags_when_filter_is_on_tags(tagged_api, filter_string, expected):
    assert sorted(names(search(tagged_api, filter=filter_string))) == expected


def test_search_finds_experiment_by_id_when_filter_names_experiment_id(trio_api):
    ids = {e["name"]: e["experiment_id"] for e in search(trio_api)["experiments"]}
    assert names(search(trio_api, filter=f"experiment_id = '{ids['c']}'")) == ["c"]
    both = search(trio_api, filter=f"experiment_id IN ('{ids['a']}', '{ids['b']}')", order_by=["name"])
    assert names(both) == ["a", "b"]


def test_search_compares_numbers_when_filter_is_on_creation_time(trio_api):
    created = {e["name"]: e["creation_time"] for e in search(trio_api)["experiments"]}
    result = search(trio_api, filter=f"creation_time > {created['b']}", order_by=["name"])
    assert names(result) == ["a", "c"]


@pytest.fixture(scope="module")
def bare_api(tmp_path_factory):
    """Read-only: a new server; error cases must leave it unchanged."""
    return make_api(tmp_path_factory, "bare")


class TestSearchExperimentsErrors:
    @pytest.mark.parametrize("filter_string, mention", [
        ("name = ", "name = "),
        ("name IN ('a')", "IN"),
        ("color = 'red'", "color"),
        ("name = 'a' OR name = 'b'", "OR"),
        ("name = 'unclosed", "quote"),
        ("creation_time > 'yesterday'", "creation_time"),
        ("metrics.acc > 1", "metrics"),
    ])
    def test_rejects_when_filter_is_invalid(self, bare_api, filter_string, mention):
        assert_error(bare_api.post("/experiments/search", {"filter": filter_string}), INVALID, mention)

    @pytest.mark.parametrize("order_by, mention", [
        (["bogus"], "bogus"),
        (["name SIDEWAYS"], "name SIDEWAYS"),
        (["tags.team"], "tags"),
    ])
    def test_rejects_when_order_by_is_invalid(self, bare_api, order_by, mention):
        assert_error(bare_api.post("/experiments/search", {"order_by": order_by}), INVALID, mention)

    def test_rejects_when_order_by_is_not_a_list(self, bare_api):
        assert_error(bare_api.post("/experiments/search", {"order_by": "name"}), INVALID, "'order_by'")

    @pytest.mark.parametrize("max_results", [0, -1, 50001])
    def test_rejects_when_max_results_is_out_of_range(self, bare_api, max_results):
        assert_error(bare_api.post("/experiments/search", {"max_results": max_results}),
                     INVALID, "max_results", str(max_results))

    def test_rejects_when_max_results_is_not_a_number(self, bare_api):
        assert_error(bare_api.get("/experiments/search", {"max_results": "ten"}), INVALID, "'max_results'")

    @pytest.mark.parametrize("token", ["not-a-token", "e30=", base64.b64encode(b'{"offset": -3}').decode()])
    def test_rejects_when_page_token_was_not_issued_by_server(self, bare_api, token):
        assert_error(bare_api.post("/experiments/search", {"page_token": token}), INVALID, "page token")

    @pytest.mark.parametrize("view_type", ["EVERYTHING", 7, True])
    def test_rejects_when_view_type_is_unknown(self, bare_api, view_type):
        assert_error(bare_api.post("/experiments/search", {"view_type": view_type}), INVALID, "'view_type'")

    def test_rejects_when_page_token_offset_is_beyond_int64(self, bare_api):
        token = base64.urlsafe_b64encode(json.dumps({"offset": 2 ** 70}).encode()).decode()
        assert_error(bare_api.post("/experiments/search", {"page_token": token}), INVALID, "page token")
