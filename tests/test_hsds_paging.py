"""HSDS lists cost a page, not the catalogue: chosen, counted and paged in SQL."""

from __future__ import annotations

import pytest

from webgis.features import store
from webgis.finder import search


@pytest.fixture
def watched(monkeypatch):
    """Fail on a read of the whole catalogue; record the ids each load asks for."""
    asked: list[list[int]] = []
    original = store.published_by_id

    def whole_catalogue(*_args, **_kwargs):
        raise AssertionError("the whole catalogue was read")

    def by_id(city, specs, ids=None):
        asked.append(list(ids) if ids is not None else ["every"])
        return original(city, specs, ids)

    monkeypatch.setattr(search, "services", whole_catalogue)
    monkeypatch.setattr(store, "published_by_id", by_id)
    return asked


def _every(client, name: str) -> list[dict]:
    return client.get(f"/hsds/{name}?per_page=1000").get_json()["contents"]


@pytest.mark.parametrize("name", ["services", "service_at_locations"])
def test_a_page_loads_only_its_own_services(client, watched, name):
    every = _every(client, name)
    watched.clear()
    page = client.get(f"/hsds/{name}?per_page=2&page=2").get_json()
    assert page["total_items"] == len(every) > 4
    assert [r["id"] for r in page["contents"]] == [r["id"] for r in every[2:4]]
    assert sum(len(ids) for ids in watched) == 2


def test_one_service_by_id_loads_only_that_service(client, watched):
    wanted = _every(client, "services")[3]
    watched.clear()
    found = client.get(f"/hsds/services/{wanted['id']}").get_json()
    assert found["id"] == wanted["id"] and found["name"] == wanted["name"]
    assert watched == [[watched[0][0]]]


def test_words_and_terms_page_with_the_right_totals(client):
    every = _every(client, "services")
    word = every[0]["name"].split()[0]
    found = client.get("/hsds/services", query_string={"search": word}).get_json()
    expected = [r for r in every if word.lower() in r["name"].lower()]
    assert 1 <= len(expected) <= found["total_items"]
    one = client.get(
        "/hsds/services", query_string={"search": word, "per_page": 1}
    ).get_json()
    assert one["total_items"] == found["total_items"]
    assert one["total_pages"] == found["total_items"] and one["size"] == 1
