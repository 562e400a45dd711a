"""Read a named context from qlik-cli's ``contexts.yml`` into ``ClientSettings``.

qlik-cli (``qlik context create NAME --server URL --api-key KEY``) keeps its contexts in
``~/.qlik/contexts.yml``; ``QLIK_CLI_USER_HOME_DIR`` moves that file. A file with one API-key
context and one OAuth context looks like this::

    current-context: reporting
    contexts:
      reporting:
        server: https://tenant.eu.qlikcloud.com
        headers:
          Authorization: Bearer API-KEY
      robot:
        server: https://tenant.eu.qlikcloud.com
        oauth-client-id: CLIENT-ID
        oauth-client-secret: CLIENT-SECRET

Parsing YAML needs PyYAML, the ``contexts`` extra of this package. Error messages name the
file, the context and the field, and never repeat a value that could be a secret.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._config import ClientSettings, SettingNames, check_credentials
from ._errors import ConfigurationError

__all__ = ["CONTEXTS_HOME_VARIABLE", "contexts_file", "read_context"]

logger = logging.getLogger(__name__)

CONTEXTS_HOME_VARIABLE = "QLIK_CLI_USER_HOME_DIR"
_INSTALL_HINT = "pip install 'qlik-dataproducts[contexts]'"

# NOTE: qlik-cli documents the options --api-key, --oauth-client-id and --oauth-client-secret
# of `qlik context create`, but not the keys it stores them under. These keys follow the option
# names and the `headers: {Authorization: Bearer KEY}` layout of corectl, the open-source
# predecessor of qlik-cli. They have not been checked against a file written by qlik-cli.
_SERVER = "server"
_HEADERS = "headers"
_API_KEY = "api-key"
_OAUTH_CLIENT_ID = "oauth-client-id"
_OAUTH_CLIENT_SECRET = "oauth-client-secret"
_FIELD_NAMES = SettingNames(
    tenant_url=_SERVER,
    api_key=f"{_HEADERS}.Authorization",
    oauth_client_id=_OAUTH_CLIENT_ID,
    oauth_client_secret=_OAUTH_CLIENT_SECRET,
)


def contexts_file(environ: Mapping[str, str] | None = None) -> Path:
    """Return the path of qlik-cli's contexts file, whether or not it exists.

    ``QLIK_CLI_USER_HOME_DIR`` names the folder that contains ``contexts.yml``. Because the
    variable's name suggests a home folder, ``$QLIK_CLI_USER_HOME_DIR/.qlik/contexts.yml`` is
    used when only that file exists. Without the variable the file is ``~/.qlik/contexts.yml``.
    """
    source = os.environ if environ is None else environ
    home = source.get(CONTEXTS_HOME_VARIABLE, "").strip()
    if not home:
        return Path.home() / ".qlik" / "contexts.yml"
    folder = Path(home).expanduser()
    direct = folder / "contexts.yml"
    nested = folder / ".qlik" / "contexts.yml"
    if not direct.is_file() and nested.is_file():
        return nested
    return direct


def read_context(
    name: str | None,
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Return the settings of context ``name``, or of the file's ``current-context`` if None.

    Raises:
        ConfigurationError: PyYAML is missing, or the file, the context or its fields are
            missing or invalid.
    """
    try:
        import yaml
    except ImportError as exc:
        raise ConfigurationError(
            f"reading qlik-cli contexts needs PyYAML; install it with {_INSTALL_HINT}"
        ) from exc

    file = path if path is not None else contexts_file(environ)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"qlik-cli contexts file not found: {file}. Create a context with "
            "`qlik context create NAME --server URL --api-key KEY`, or set "
            f"{CONTEXTS_HOME_VARIABLE} to the folder that contains contexts.yml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigurationError(
            f"cannot read the qlik-cli contexts file {file}: {reason}"
        ) from None

    position: str | None = None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # The parser's own message quotes the offending line, which may hold a secret, so
        # only the position is kept and the error is raised outside this handler.
        mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
        position = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
    if position is not None:
        raise ConfigurationError(f"{file} is not valid YAML: the parser failed at {position}")

    context_name, context = _find_context(document, name, file)
    settings = _settings(context_name, context, file)
    logger.debug("Read qlik-cli context %r from %s", context_name, file)
    return settings


def _find_context(document: Any, name: str | None, file: Path) -> tuple[str, Mapping[Any, Any]]:
    contexts = document.get("contexts") if isinstance(document, dict) else None
    if not isinstance(contexts, dict) or not contexts:
        raise ConfigurationError(
            f"{file} contains no contexts; expected a 'contexts' mapping of context names "
            "as qlik-cli writes it"
        )
    if name is None:
        current = document.get("current-context")
        if not isinstance(current, str) or not current:
            raise ConfigurationError(
                f"{file} sets no current-context; name the context to use "
                f"(one of {_listing(contexts)})"
            )
        name = current
    context = contexts.get(name)
    if context is None:
        raise ConfigurationError(
            f"context {name!r} not found in {file}; the file has {_listing(contexts)}"
        )
    if not isinstance(context, dict):
        raise ConfigurationError(f"context {name!r} in {file} is not a mapping of fields")
    return name, context


def _settings(name: str, context: Mapping[Any, Any], file: Path) -> ClientSettings:
    label = f"context {name!r} in {file}:"
    server = _text(context, _SERVER, label)
    api_key = _api_key(context, label)
    client_id = _text(context, _OAUTH_CLIENT_ID, label)
    client_secret = _text(context, _OAUTH_CLIENT_SECRET, label)

    try:
        check_credentials(
            tenant_url=server,
            api_key=api_key,
            oauth_client_id=client_id,
            oauth_client_secret=client_secret,
            oauth_scope=None,
            names=_FIELD_NAMES,
        )
    except ConfigurationError as exc:
        raise ConfigurationError(f"{label} {exc}") from None
    assert server is not None
    return ClientSettings(
        server,
        api_key=api_key,
        oauth_client_id=client_id,
        oauth_client_secret=client_secret,
    )


def _api_key(context: Mapping[Any, Any], label: str) -> str | None:
    """Return the key of ``headers.Authorization: Bearer KEY`` or of an ``api-key`` field."""
    from_field = _text(context, _API_KEY, label)
    headers = context.get(_HEADERS)
    if headers is None:
        return from_field
    if not isinstance(headers, dict):
        raise ConfigurationError(f"{label} {_HEADERS} is not a mapping of header names")

    from_header = None
    for header, value in headers.items():
        if not isinstance(header, str) or header.lower() != "authorization":
            continue
        scheme, credential = "", ""
        if isinstance(value, str):
            scheme, _, credential = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise ConfigurationError(
                f"{label} {_HEADERS}.{header} is not of the form 'Bearer API-KEY'"
            )
        from_header = credential.strip()
    if from_header and from_field and from_header != from_field:
        raise ConfigurationError(
            f"{label} {_HEADERS}.Authorization and {_API_KEY} contain different keys; keep one"
        )
    return from_header or from_field


def _text(context: Mapping[Any, Any], key: str, label: str) -> str | None:
    value = context.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        # YAML reads unquoted digits as numbers and drops leading zeros, so ask for quotes.
        raise ConfigurationError(
            f"{label} {key} must be a string, got {type(value).__name__}; quote the value"
        )
    return value.strip() or None


def _listing(contexts: Mapping[Any, Any]) -> str:
    shown = sorted(str(key) for key in contexts)
    return "contexts " + ", ".join(repr(key) for key in shown) if shown else "no contexts"
