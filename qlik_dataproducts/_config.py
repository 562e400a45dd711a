"""``ClientSettings``: the tenant URL and one credential, from arguments, variables or qlik-cli.

The environment variables are::

    QLIK_TENANT_URL             https://TENANT.REGION.qlikcloud.com
    QLIK_API_KEY                an API key, or
    QLIK_OAUTH_CLIENT_ID        the id of an OAuth client (machine-to-machine) and
    QLIK_OAUTH_CLIENT_SECRET    its secret
    QLIK_OAUTH_SCOPE            optional scopes for the OAuth client, space-separated

An empty variable counts as unset. Settings hold either an API key or an OAuth client id and
secret, never both, and their ``repr()`` hides the key and the secret.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import attrs
from yarl import URL

from ._auth import ApiKey, Credentials, OAuthClientCredentials, TokenProvider
from ._errors import ConfigurationError, UnsafeRequestError

__all__ = [
    "API_KEY_VARIABLE",
    "OAUTH_CLIENT_ID_VARIABLE",
    "OAUTH_CLIENT_SECRET_VARIABLE",
    "OAUTH_SCOPE_VARIABLE",
    "TENANT_URL_VARIABLE",
    "ClientSettings",
    "SettingNames",
    "check_base_url",
    "check_credentials",
    "pick_credentials",
]

TENANT_URL_VARIABLE = "QLIK_TENANT_URL"
API_KEY_VARIABLE = "QLIK_API_KEY"
OAUTH_CLIENT_ID_VARIABLE = "QLIK_OAUTH_CLIENT_ID"
OAUTH_CLIENT_SECRET_VARIABLE = "QLIK_OAUTH_CLIENT_SECRET"
OAUTH_SCOPE_VARIABLE = "QLIK_OAUTH_SCOPE"


@attrs.frozen
class SettingNames:
    """Names of the settings in error messages: arguments, variables or context fields."""

    tenant_url: str = "tenant_url"
    api_key: str = "api_key"
    oauth_client_id: str = "oauth_client_id"
    oauth_client_secret: str = "oauth_client_secret"
    oauth_scope: str = "oauth_scope"


_ARGUMENT_NAMES = SettingNames()
_VARIABLE_NAMES = SettingNames(
    TENANT_URL_VARIABLE,
    API_KEY_VARIABLE,
    OAUTH_CLIENT_ID_VARIABLE,
    OAUTH_CLIENT_SECRET_VARIABLE,
    OAUTH_SCOPE_VARIABLE,
)


def _redacted(value: object) -> str:
    return "None" if value is None else "<redacted>"


def _normalize_tenant_url(value: str) -> str:
    # qlik-cli accepts a bare host name such as tenant.eu.qlikcloud.com, and so does this.
    text = value.strip()
    if text and "://" not in text:
        return f"https://{text}"
    return text


@attrs.frozen
class ClientSettings:
    """The tenant to connect to and the one credential to use.

    Give ``api_key``, or ``oauth_client_id`` with ``oauth_client_secret``. Build settings
    with ``from_env()`` or ``from_context()``, or directly, and pass them to
    ``DataProductsClient.from_settings()``.

    Raises:
        ConfigurationError: the tenant URL is missing or unusable, or the credentials are
            missing, incomplete or contradictory.
    """

    tenant_url: str = attrs.field(converter=_normalize_tenant_url)
    api_key: str | None = attrs.field(default=None, repr=_redacted, kw_only=True)
    oauth_client_id: str | None = attrs.field(default=None, kw_only=True)
    oauth_client_secret: str | None = attrs.field(default=None, repr=_redacted, kw_only=True)
    oauth_scope: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        check_credentials(
            tenant_url=self.tenant_url,
            api_key=self.api_key,
            oauth_client_id=self.oauth_client_id,
            oauth_client_secret=self.oauth_client_secret,
            oauth_scope=self.oauth_scope,
            names=_ARGUMENT_NAMES,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        """Read the settings from the ``QLIK_*`` variables of ``environ`` (``os.environ``).

        Raises:
            ConfigurationError: names the variable that is missing or contradicts another.
        """
        source = os.environ if environ is None else environ
        values = {
            "tenant_url": _variable(source, TENANT_URL_VARIABLE),
            "api_key": _variable(source, API_KEY_VARIABLE),
            "oauth_client_id": _variable(source, OAUTH_CLIENT_ID_VARIABLE),
            "oauth_client_secret": _variable(source, OAUTH_CLIENT_SECRET_VARIABLE),
            "oauth_scope": _variable(source, OAUTH_SCOPE_VARIABLE),
        }
        check_credentials(**values, names=_VARIABLE_NAMES)
        tenant_url = values.pop("tenant_url")
        assert tenant_url is not None
        return cls(tenant_url, **values)

    @classmethod
    def from_context(
        cls,
        name: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        """Read the settings from a context of qlik-cli's ``contexts.yml``.

        Args:
            name: the context; None for the file's ``current-context``.
            path: the contexts file; by default ``contexts.yml`` in ``$QLIK_CLI_USER_HOME_DIR``
                or in ``~/.qlik``.
            environ: the variables to look up ``QLIK_CLI_USER_HOME_DIR`` in (``os.environ``).

        Raises:
            ConfigurationError: the file, the context or its credentials are missing or
                invalid, or PyYAML is not installed.
        """
        # Imported here because _contexts builds ClientSettings.
        from ._contexts import read_context

        return read_context(name, path=None if path is None else Path(path), environ=environ)

    def oauth(self, *, refresh_margin: float = 60.0) -> OAuthClientCredentials | None:
        """Return OAuth credentials for the OAuth client, or None when the settings use a key."""
        if self.oauth_client_id is None or self.oauth_client_secret is None:
            return None
        return OAuthClientCredentials(
            self.oauth_client_id,
            self.oauth_client_secret,
            scope=self.oauth_scope,
            refresh_margin=refresh_margin,
        )


def check_credentials(
    *,
    tenant_url: str | None,
    api_key: str | None,
    oauth_client_id: str | None,
    oauth_client_secret: str | None,
    oauth_scope: str | None,
    names: SettingNames = _ARGUMENT_NAMES,
) -> None:
    """Raise ``ConfigurationError`` unless there is a tenant URL and exactly one credential.

    The messages name the settings as ``names`` spells them and never contain a secret.
    """
    if not tenant_url:
        raise ConfigurationError(
            f"{names.tenant_url} is missing; set it to the tenant URL, "
            "such as https://TENANT.REGION.qlikcloud.com"
        )
    _check_tenant_url(_normalize_tenant_url(tenant_url), names.tenant_url)

    if api_key and (oauth_client_id or oauth_client_secret):
        oauth_name = names.oauth_client_id if oauth_client_id else names.oauth_client_secret
        raise ConfigurationError(
            f"{names.api_key} and {oauth_name} are both set, so the credential is ambiguous; "
            f"keep either the API key or the OAuth client id and secret"
        )
    if oauth_client_id and not oauth_client_secret:
        raise ConfigurationError(
            f"{names.oauth_client_id} is set but {names.oauth_client_secret} is missing; "
            "set the OAuth client's secret too"
        )
    if oauth_client_secret and not oauth_client_id:
        raise ConfigurationError(
            f"{names.oauth_client_secret} is set but {names.oauth_client_id} is missing; "
            "set the OAuth client's id too"
        )
    if oauth_scope and not oauth_client_id:
        raise ConfigurationError(
            f"{names.oauth_scope} is set but {names.oauth_client_id} is missing; "
            "a scope applies only to an OAuth client"
        )
    if not api_key and not oauth_client_id:
        raise ConfigurationError(
            f"no credentials: set {names.api_key}, "
            f"or {names.oauth_client_id} and {names.oauth_client_secret}"
        )


def _check_tenant_url(tenant_url: str, name: str) -> None:
    try:
        url = URL(tenant_url)
    except ValueError:
        url = None
    if url is None:
        # Raised outside the handler so that no chained error repeats the URL.
        raise ConfigurationError(
            f"{name} is not a valid URL; expected https://TENANT.REGION.qlikcloud.com"
        )
    # The URL is echoed only when it carries no user name or password.
    if url.user or url.password:
        raise ConfigurationError(
            f"{name} contains a user name or password; remove it and pass the credential "
            "as an API key or OAuth client instead"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"{name} {tenant_url!r} is not an http(s) URL; "
            "expected https://TENANT.REGION.qlikcloud.com"
        )


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def pick_credentials(
    api_key: str | None,
    oauth: OAuthClientCredentials | None,
    token_provider: Callable[[], Awaitable[str]] | None,
) -> Credentials:
    """Return the one credential given, or raise ``ConfigurationError``."""
    named = {"api_key": api_key, "oauth": oauth, "token_provider": token_provider}
    given = [name for name, value in named.items() if value is not None]
    if len(given) != 1:
        found = ", ".join(given) or "none"
        raise ConfigurationError(
            f"pass exactly one of api_key, oauth or token_provider (got {found})"
        )
    if api_key is not None:
        return ApiKey(api_key)
    if oauth is not None:
        return oauth
    assert token_provider is not None
    return TokenProvider(token_provider)


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> URL:
    """Return ``base_url`` ending in a slash, or raise if it is unusable or unsafe."""
    url = URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http(s) URL; "
            "expected https://TENANT.REGION.qlikcloud.com"
        )
    if url.user or url.password:
        raise ConfigurationError(
            "base_url contains credentials; pass them as api_key or oauth instead"
        )
    if url.query_string or url.fragment:
        raise ConfigurationError(
            f"base_url {url.with_query(None).with_fragment(None)}... has a query or fragment; "
            "remove it"
        )
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise UnsafeRequestError(
            f"base_url {base_url!r} uses plain http to a host that is not loopback, which would "
            "send the credentials unencrypted; use https, or pass allow_insecure_http=True",
            url=base_url,
        )
    return url.with_path(url.raw_path.rstrip("/") + "/", encoded=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
