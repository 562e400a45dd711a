"""The tenant and credential options shared by the command-line subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ._config import (
    API_KEY_VARIABLE,
    OAUTH_CLIENT_ID_VARIABLE,
    OAUTH_CLIENT_SECRET_VARIABLE,
    OAUTH_SCOPE_VARIABLE,
    TENANT_URL_VARIABLE,
    ClientSettings,
)
from ._errors import ConfigurationError

__all__ = ["tenant_settings"]

_OAUTH_VARIABLES = (OAUTH_CLIENT_ID_VARIABLE, OAUTH_CLIENT_SECRET_VARIABLE, OAUTH_SCOPE_VARIABLE)


def tenant_settings(
    arguments: argparse.Namespace, environ: Mapping[str, str], *, no_tenant_hint: str = ""
) -> ClientSettings:
    """Combine the tenant options with the environment, or read the qlik-cli context.

    ``no_tenant_hint`` ends the message raised when no tenant URL is given, for a command that
    has one more way to choose a target.

    Raises:
        ConfigurationError: the settings are missing or contradict each other.
    """
    if arguments.context:
        if arguments.tenant_url or arguments.api_key or arguments.oauth_client_id:
            raise ConfigurationError(
                "--context cannot be combined with --tenant-url, --api-key or --oauth-client-id"
            )
        return ClientSettings.from_context(arguments.context)
    if arguments.api_key and arguments.oauth_client_id:
        raise ConfigurationError(
            "--api-key and --oauth-client-id contradict each other; choose one"
        )

    variables = dict(environ)
    if arguments.tenant_url:
        variables[TENANT_URL_VARIABLE] = arguments.tenant_url
    # An option replaces the variables of the other kind of credential, which may be left
    # over in the shell.
    if arguments.api_key:
        variables[API_KEY_VARIABLE] = arguments.api_key
        for name in _OAUTH_VARIABLES:
            variables.pop(name, None)
    if arguments.oauth_client_id:
        variables[OAUTH_CLIENT_ID_VARIABLE] = arguments.oauth_client_id
        variables.pop(API_KEY_VARIABLE, None)

    if not variables.get(TENANT_URL_VARIABLE, "").strip():
        raise ConfigurationError(
            f"no tenant URL: pass --tenant-url or set {TENANT_URL_VARIABLE}, or pass --context "
            f"NAME{no_tenant_hint}"
        )
    credentials = (API_KEY_VARIABLE, OAUTH_CLIENT_ID_VARIABLE, OAUTH_CLIENT_SECRET_VARIABLE)
    if not any(variables.get(name, "").strip() for name in credentials):
        raise ConfigurationError(
            f"no credentials: set {API_KEY_VARIABLE} or pass --api-key, or set "
            f"{OAUTH_CLIENT_SECRET_VARIABLE} and pass --oauth-client-id (or set "
            f"{OAUTH_CLIENT_ID_VARIABLE}), or pass --context NAME"
        )
    return ClientSettings.from_env(variables)
