"""Following ``links.next.href`` from one changelog page to the next, safely."""

from __future__ import annotations

from yarl import URL

from ._errors import DecodeError, UnsafeRequestError
from ._models import ChangelogPage

__all__ = ["next_page_url"]


def next_page_url(
    page: ChangelogPage,
    *,
    current_url: URL,
    base_url: URL,
    seen: set[str],
    pages_fetched: int,
) -> URL | None:
    """Return the URL of the page after ``page``, or None when ``page`` is the last one.

    The href is resolved against the page's own URL, so absolute and relative hrefs both work.
    It is followed only to the base URL's origin (scheme, host and port), because the request
    carries the tenant's credentials. A href seen before, or more pages than the server's own
    ``pages`` count, means the server is looping. The walk then stops with ``DecodeError``
    instead of running forever. ``seen`` collects the URLs fetched so far and is updated here.

    The next href already carries the page, limit and sort parameters, so the caller sends it
    as it is and adds no query parameters of its own.
    """
    seen.add(str(current_url))
    link = page.links.next if page.links is not None else None
    href = link.href if link is not None else None
    if not href:
        return None

    # The fragment is never sent, so dropping it keeps "#a", "#b", ... from evading the loop check.
    target = current_url.join(URL(href)).with_fragment(None)
    if target.origin() != base_url.origin():
        raise UnsafeRequestError(
            f"changelog page {current_url} links its next page to {target.origin()}, "
            f"outside the tenant {base_url.origin()}; the walk stopped and nothing was sent there",
            url=str(target.with_user(None)),
        )
    if target.user is not None or target.password is not None:
        # Credentials in the URL would compete with the bearer token: aiohttp 3.14 raises a bare
        # ValueError for them, so reject them here with a clear error.
        raise UnsafeRequestError(
            f"changelog page {current_url} links its next page to a URL with a user name or "
            "password; the walk stopped and nothing was sent there",
            url=str(target.with_user(None)),
        )
    if str(target) in seen:
        raise DecodeError(
            f"links.next.href {href!r} points to a page already fetched; the walk stopped "
            "because following it would loop",
            path="$.links.next.href",
            operation="changelogs",
            url=str(current_url),
        )
    if page.pages is not None and pages_fetched >= page.pages:
        raise DecodeError(
            f"links.next.href {href!r} follows page {pages_fetched} although the response "
            f"says there are {page.pages} pages; the walk stopped",
            path="$.links.next.href",
            operation="changelogs",
            url=str(current_url),
        )
    return target
