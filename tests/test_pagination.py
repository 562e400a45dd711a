"""links.next resolution: relative and absolute hrefs, foreign origins, loops."""

from __future__ import annotations

import pytest
from yarl import URL

from qlik_dataproducts import ChangelogPage, DecodeError, Link, PageLinks, UnsafeRequestError
from qlik_dataproducts._pagination import next_page_url

BASE = URL("https://tenant.eu.qlikcloud.com/")
PAGE_1 = BASE.join(URL("api/data-governance/data-products/p1/changelogs?page=1&limit=2"))


def page(next_href: str | None, pages: int | None = 5) -> ChangelogPage:
    links = PageLinks(next=Link(next_href) if next_href is not None else None)
    return ChangelogPage(pages=pages, links=links)


def follow(current: ChangelogPage, *, seen: set[str] | None = None, fetched: int = 1) -> URL | None:
    return next_page_url(
        current,
        current_url=PAGE_1,
        base_url=BASE,
        seen=set() if seen is None else seen,
        pages_fetched=fetched,
    )


def test_last_page_has_no_next() -> None:
    assert follow(page(None)) is None


def test_null_href_ends_walk() -> None:
    assert follow(ChangelogPage(links=PageLinks(next=Link(None)))) is None


def test_absolute_href_followed() -> None:
    href = "https://tenant.eu.qlikcloud.com/api/data-governance/data-products/p1/changelogs?page=2"
    assert follow(page(href)) == URL(href)


def test_relative_href_resolved_against_page() -> None:
    target = follow(page("/api/data-governance/data-products/p1/changelogs?page=2&limit=2"))
    assert target is not None
    assert target.query["page"] == "2"


def test_query_not_duplicated() -> None:
    target = follow(page("?page=2&limit=2"))
    assert target is not None
    assert target.query.getall("limit") == ["2"]


def test_foreign_host_rejected() -> None:
    with pytest.raises(UnsafeRequestError, match="outside the tenant"):
        follow(page("https://evil.example.invalid/steal?page=2"))


def test_scheme_downgrade_rejected() -> None:
    with pytest.raises(UnsafeRequestError):
        follow(
            page("http://tenant.eu.qlikcloud.com/api/data-governance/data-products/p1/changelogs")
        )


def test_other_port_rejected() -> None:
    with pytest.raises(UnsafeRequestError):
        follow(page("https://tenant.eu.qlikcloud.com:8443/x"))


def test_self_reference_stops_walk() -> None:
    with pytest.raises(DecodeError, match="already fetched"):
        follow(page(str(PAGE_1)))


def test_page_count_past_pages_stops_walk() -> None:
    with pytest.raises(DecodeError, match="says there are 2 pages"):
        follow(page("?page=3", pages=2), fetched=2)
