"""ClientSettings from arguments, environment variables and qlik-cli contexts files."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from qlik_dataproducts import (
    ClientSettings,
    ConfigurationError,
    DataProductsClient,
    OAuthClientCredentials,
    UnsafeRequestError,
)
from qlik_dataproducts._contexts import contexts_file
from qlik_dataproducts.cli import main
from qlik_dataproducts.emulator import Emulator

TENANT = "https://tenant.eu.qlikcloud.com"
VARIABLES = (
    "QLIK_TENANT_URL",
    "QLIK_API_KEY",
    "QLIK_OAUTH_CLIENT_ID",
    "QLIK_OAUTH_CLIENT_SECRET",
    "QLIK_OAUTH_SCOPE",
    "QLIK_CLI_USER_HOME_DIR",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


# --- environment variables ---------------------------------------------------------------------


def test_env_api_key() -> None:
    settings = ClientSettings.from_env({"QLIK_TENANT_URL": TENANT, "QLIK_API_KEY": "key-1"})

    assert settings.tenant_url == TENANT
    assert settings.api_key == "key-1"
    assert settings.oauth() is None


def test_env_oauth_client() -> None:
    environ = {
        "QLIK_TENANT_URL": TENANT,
        "QLIK_OAUTH_CLIENT_ID": "client-1",
        "QLIK_OAUTH_CLIENT_SECRET": "secret-1",
        "QLIK_OAUTH_SCOPE": "user_default",
    }
    settings = ClientSettings.from_env(environ)
    oauth = settings.oauth(refresh_margin=30.0)

    assert settings.api_key is None
    assert isinstance(oauth, OAuthClientCredentials)
    assert oauth.client_id == "client-1"
    assert oauth.scope == "user_default"
    assert oauth.refresh_margin == 30.0


def test_env_read_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLIK_TENANT_URL", TENANT)
    monkeypatch.setenv("QLIK_API_KEY", "key-1")

    assert ClientSettings.from_env().api_key == "key-1"


def test_env_values_stripped() -> None:
    settings = ClientSettings.from_env({"QLIK_TENANT_URL": f" {TENANT}\n", "QLIK_API_KEY": "k\n"})

    assert settings.tenant_url == TENANT
    assert settings.api_key == "k"


def test_env_bare_host_gets_https() -> None:
    environ = {"QLIK_TENANT_URL": "tenant.eu.qlikcloud.com", "QLIK_API_KEY": "k"}

    assert ClientSettings.from_env(environ).tenant_url == TENANT


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"QLIK_API_KEY": "k"}, "QLIK_TENANT_URL is missing"),
        ({"QLIK_TENANT_URL": "", "QLIK_API_KEY": "k"}, "QLIK_TENANT_URL is missing"),
        ({"QLIK_TENANT_URL": TENANT}, "no credentials: set QLIK_API_KEY, or QLIK_OAUTH_CLIENT_ID"),
        (
            {"QLIK_TENANT_URL": TENANT, "QLIK_OAUTH_CLIENT_ID": "c"},
            "QLIK_OAUTH_CLIENT_ID is set but QLIK_OAUTH_CLIENT_SECRET is missing",
        ),
        (
            {"QLIK_TENANT_URL": TENANT, "QLIK_OAUTH_CLIENT_SECRET": "s"},
            "QLIK_OAUTH_CLIENT_SECRET is set but QLIK_OAUTH_CLIENT_ID is missing",
        ),
        (
            {"QLIK_TENANT_URL": TENANT, "QLIK_API_KEY": "k", "QLIK_OAUTH_CLIENT_ID": "c"},
            "QLIK_API_KEY and QLIK_OAUTH_CLIENT_ID are both set",
        ),
        (
            {"QLIK_TENANT_URL": TENANT, "QLIK_API_KEY": "k", "QLIK_OAUTH_CLIENT_SECRET": "s"},
            "QLIK_API_KEY and QLIK_OAUTH_CLIENT_SECRET are both set",
        ),
        (
            {"QLIK_TENANT_URL": TENANT, "QLIK_API_KEY": "k", "QLIK_OAUTH_SCOPE": "x"},
            "QLIK_OAUTH_SCOPE is set but QLIK_OAUTH_CLIENT_ID is missing",
        ),
        (
            {"QLIK_TENANT_URL": "ftp://tenant.example.invalid", "QLIK_API_KEY": "k"},
            "QLIK_TENANT_URL 'ftp://tenant.example.invalid' is not an http(s) URL",
        ),
        (
            {"QLIK_TENANT_URL": "https://tenant.example.invalid:port", "QLIK_API_KEY": "k"},
            "QLIK_TENANT_URL is not a valid URL",
        ),
    ],
)
def test_env_error_names_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ClientSettings.from_env(environ)

    assert message in str(caught.value)


def test_env_url_password_not_echoed() -> None:
    environ = {"QLIK_TENANT_URL": "https://me:hunter2@tenant.example.invalid", "QLIK_API_KEY": "k"}
    with pytest.raises(ConfigurationError, match="QLIK_TENANT_URL contains a user name") as caught:
        ClientSettings.from_env(environ)

    assert "hunter2" not in str(caught.value)


def test_arguments_error_names_argument() -> None:
    with pytest.raises(ConfigurationError, match="api_key and oauth_client_id are both set"):
        ClientSettings(TENANT, api_key="k", oauth_client_id="c", oauth_client_secret="s")


def test_settings_repr_hides_secrets() -> None:
    with_key = ClientSettings(TENANT, api_key="key-value-1")
    with_oauth = ClientSettings(TENANT, oauth_client_id="client-1", oauth_client_secret="sec-1")

    assert "key-value-1" not in repr(with_key)
    assert "api_key=<redacted>" in repr(with_key)
    assert "sec-1" not in repr(with_oauth)
    assert "client-1" in repr(with_oauth)


async def test_client_from_env_api_key() -> None:
    async with Emulator() as emulator:
        environ = {"QLIK_TENANT_URL": emulator.base_url, "QLIK_API_KEY": emulator.api_key}
        async with DataProductsClient.from_env(environ) as client:
            product = await client.create(name="From env")

    assert product.name == "From env"


async def test_client_from_env_oauth() -> None:
    async with Emulator() as emulator:
        environ = {
            "QLIK_TENANT_URL": emulator.base_url,
            "QLIK_OAUTH_CLIENT_ID": emulator.oauth_client_id,
            "QLIK_OAUTH_CLIENT_SECRET": emulator.oauth_client_secret,
        }
        async with DataProductsClient.from_env(environ, timeout=5.0) as client:
            await client.create(name="From env")

        assert emulator.token_requests == 1


def test_client_from_env_keeps_http_check() -> None:
    environ = {"QLIK_TENANT_URL": "http://tenant.example.invalid", "QLIK_API_KEY": "k"}

    with pytest.raises(UnsafeRequestError, match="allow_insecure_http"):
        DataProductsClient.from_env(environ)


def test_client_from_env_insecure_opt_in() -> None:
    environ = {"QLIK_TENANT_URL": "http://tenant.example.invalid", "QLIK_API_KEY": "k"}
    client = DataProductsClient.from_env(environ, allow_insecure_http=True)

    assert client.base_url.scheme == "http"


# --- qlik-cli contexts -------------------------------------------------------------------------

CONTEXTS = """\
current-context: reporting
contexts:
  reporting:
    server: https://tenant.eu.qlikcloud.com
    comment: API key of the reporting user
    headers:
      Authorization: Bearer key-from-header
  robot:
    server: tenant.eu.qlikcloud.com
    oauth-client-id: client-1
    oauth-client-secret: secret-1
  keyfield:
    server: https://tenant.eu.qlikcloud.com
    api-key: key-from-field
"""


def write_contexts(folder: Path, text: str = CONTEXTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "contexts.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_context_bearer_header(tmp_path: Path) -> None:
    settings = ClientSettings.from_context("reporting", path=write_contexts(tmp_path))

    assert settings.tenant_url == TENANT
    assert settings.api_key == "key-from-header"


def test_context_oauth_client(tmp_path: Path) -> None:
    settings = ClientSettings.from_context("robot", path=write_contexts(tmp_path))

    assert settings.tenant_url == TENANT
    assert settings.oauth_client_id == "client-1"
    assert settings.oauth_client_secret == "secret-1"


def test_context_api_key_field(tmp_path: Path) -> None:
    settings = ClientSettings.from_context("keyfield", path=write_contexts(tmp_path))

    assert settings.api_key == "key-from-field"


def test_context_current_by_default(tmp_path: Path) -> None:
    settings = ClientSettings.from_context(path=write_contexts(tmp_path))

    assert settings.api_key == "key-from-header"


def test_context_home_variable(tmp_path: Path) -> None:
    write_contexts(tmp_path / "cli-home")
    environ = {"QLIK_CLI_USER_HOME_DIR": str(tmp_path / "cli-home")}

    assert ClientSettings.from_context("robot", environ=environ).oauth_client_id == "client-1"


def test_context_home_variable_nested(tmp_path: Path) -> None:
    expected = write_contexts(tmp_path / "cli-home" / ".qlik")
    environ = {"QLIK_CLI_USER_HOME_DIR": str(tmp_path / "cli-home")}

    assert contexts_file(environ) == expected


def test_context_default_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    write_contexts(tmp_path / ".qlik")

    assert contexts_file() == tmp_path / ".qlik" / "contexts.yml"
    assert ClientSettings.from_context("robot").oauth_client_id == "client-1"


def test_context_missing_file(tmp_path: Path) -> None:
    environ = {"QLIK_CLI_USER_HOME_DIR": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="contexts file not found") as caught:
        ClientSettings.from_context("robot", environ=environ)

    assert "QLIK_CLI_USER_HOME_DIR" in str(caught.value)


def test_context_unknown_name_lists_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'prod' not found") as caught:
        ClientSettings.from_context("prod", path=write_contexts(tmp_path))

    assert "'keyfield', 'reporting', 'robot'" in str(caught.value)


def test_context_no_current_context(tmp_path: Path) -> None:
    path = write_contexts(tmp_path, CONTEXTS.replace("current-context: reporting\n", ""))

    with pytest.raises(ConfigurationError, match="sets no current-context"):
        ClientSettings.from_context(path=path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contexts: {}\n", "contains no contexts"),
        ("- a list\n", "contains no contexts"),
        ("contexts:\n  c: just text\n", "is not a mapping of fields"),
        ("contexts:\n  c:\n    headers:\n      Authorization: Bearer k\n", "server is missing"),
        ("contexts:\n  c:\n    server: https://t.example.invalid\n", "no credentials"),
        (
            "contexts:\n  c:\n    server: https://t.example.invalid\n    oauth-client-id: x\n",
            "oauth-client-id is set but oauth-client-secret is missing",
        ),
        (
            "contexts:\n  c:\n    server: https://t.example.invalid\n    oauth-client-id: x\n"
            "    oauth-client-secret: y\n    headers:\n      Authorization: Bearer k\n",
            "headers.Authorization and oauth-client-id are both set",
        ),
        (
            "contexts:\n  c:\n    server: https://t.example.invalid\n    headers: [a]\n",
            "headers is not a mapping",
        ),
        (
            "contexts:\n  c:\n    server: https://t.example.invalid\n    oauth-client-id: 0123\n"
            "    oauth-client-secret: y\n",
            "oauth-client-id must be a string, got int; quote the value",
        ),
    ],
)
def test_context_invalid_file(tmp_path: Path, text: str, message: str) -> None:
    path = write_contexts(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        ClientSettings.from_context("c", path=path)

    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_context_non_bearer_header_hidden(tmp_path: Path) -> None:
    text = (
        "contexts:\n  c:\n    server: https://t.example.invalid\n"
        "    headers:\n      authorization: Basic c2VjcmV0LXZhbHVl\n"
    )
    with pytest.raises(ConfigurationError, match="not of the form 'Bearer API-KEY'") as caught:
        ClientSettings.from_context("c", path=write_contexts(tmp_path, text))

    assert "c2VjcmV0LXZhbHVl" not in str(caught.value)


def test_context_header_and_field_differ(tmp_path: Path) -> None:
    text = (
        "contexts:\n  c:\n    server: https://t.example.invalid\n    api-key: one\n"
        "    headers:\n      Authorization: Bearer two\n"
    )
    with pytest.raises(ConfigurationError, match="contain different keys"):
        ClientSettings.from_context("c", path=write_contexts(tmp_path, text))


def test_context_yaml_error_hides_line(tmp_path: Path) -> None:
    text = "contexts:\n  c:\n    api-key: 'secret-in-broken-line\n    server: x\n"
    with pytest.raises(ConfigurationError, match="is not valid YAML") as caught:
        ClientSettings.from_context("c", path=write_contexts(tmp_path, text))
    chained = caught.value.__cause__ or caught.value.__context__

    assert "secret-in-broken-line" not in str(caught.value)
    assert chained is None


def test_context_without_pyyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)

    with pytest.raises(ConfigurationError, match=r"pip install 'qlik-dataproducts\[contexts\]'"):
        ClientSettings.from_context("robot", path=write_contexts(tmp_path))


# --- command line ------------------------------------------------------------------------------

CATALOGUE_LINES = '{"name": "Orders"}\n{"name": "Invoices", "activate": true}\n'


def migrate_arguments(tmp_path: Path, *options: str) -> list[str]:
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text(CATALOGUE_LINES, encoding="utf-8")
    outputs = ["--docs-dir", str(tmp_path / "docs"), "--results", str(tmp_path / "results.jsonl")]
    return ["migrate", "--quiet", *options, str(catalogue), *outputs]


async def run_cli(arguments: list[str]) -> int:
    # main() runs its own event loop, so it needs a thread of its own.
    return await asyncio.to_thread(main, arguments)


async def test_cli_oauth_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Emulator() as emulator:
        monkeypatch.setenv("QLIK_TENANT_URL", emulator.base_url)
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_ID", emulator.oauth_client_id)
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", emulator.oauth_client_secret)
        status = await run_cli(migrate_arguments(tmp_path))

        assert status == 0
        assert len(emulator.state.snapshot()) == 2
        assert emulator.token_requests == 1


async def test_cli_client_id_option_beats_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Emulator() as emulator:
        monkeypatch.setenv("QLIK_API_KEY", "left-over-key")
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", emulator.oauth_client_secret)
        options = ["--tenant-url", emulator.base_url, "--oauth-client-id", emulator.oauth_client_id]
        status = await run_cli(migrate_arguments(tmp_path, *options))

        assert status == 0
        assert emulator.token_requests == 1


async def test_cli_api_key_option_beats_oauth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Emulator() as emulator:
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_ID", "left-over-client")
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", "left-over-secret")
        options = ["--tenant-url", emulator.base_url, "--api-key", emulator.api_key]
        status = await run_cli(migrate_arguments(tmp_path, *options))

        assert status == 0
        assert emulator.token_requests == 0


@pytest.mark.parametrize("kind", ["api-key", "oauth"])
async def test_cli_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    async with Emulator() as emulator:
        if kind == "api-key":
            credential = f"    headers:\n      Authorization: Bearer {emulator.api_key}\n"
        else:
            credential = (
                f"    oauth-client-id: '{emulator.oauth_client_id}'\n"
                f"    oauth-client-secret: '{emulator.oauth_client_secret}'\n"
            )
        text = f"contexts:\n  local:\n    server: {emulator.base_url}\n{credential}"
        write_contexts(tmp_path / "cli-home", text)
        monkeypatch.setenv("QLIK_CLI_USER_HOME_DIR", str(tmp_path / "cli-home"))
        # The context is the whole configuration: these variables must not interfere.
        monkeypatch.setenv("QLIK_TENANT_URL", "https://tenant.example.invalid")
        monkeypatch.setenv("QLIK_API_KEY", "left-over-key")
        status = await run_cli(migrate_arguments(tmp_path, "--context", "local"))

        assert status == 0
        assert len(emulator.state.snapshot()) == 2
        assert emulator.token_requests == (1 if kind == "oauth" else 0)


@pytest.mark.parametrize(
    ("options", "variables", "message"),
    [
        (["--context", "local", "--tenant-url", "http://127.0.0.1:9"], {}, "--context cannot"),
        (["--api-key", "k", "--oauth-client-id", "c"], {}, "contradict each other"),
        (["--emulator", "--oauth-client-id", "c"], {}, "--emulator cannot"),
        (["--emulator", "--context", "local"], {}, "--emulator cannot"),
        (
            ["--tenant-url", "http://127.0.0.1:9", "--oauth-client-id", "c"],
            {},
            "QLIK_OAUTH_CLIENT_ID is set but QLIK_OAUTH_CLIENT_SECRET is missing",
        ),
        (["--tenant-url", "http://127.0.0.1:9"], {}, "pass --oauth-client-id"),
        ([], {"QLIK_API_KEY": "k"}, "no tenant URL"),
        (
            [],
            {"QLIK_TENANT_URL": "http://127.0.0.1:9", "QLIK_OAUTH_CLIENT_SECRET": "s"},
            "QLIK_OAUTH_CLIENT_SECRET is set but QLIK_OAUTH_CLIENT_ID is missing",
        ),
        (
            [],
            {
                "QLIK_TENANT_URL": "http://127.0.0.1:9",
                "QLIK_API_KEY": "k",
                "QLIK_OAUTH_CLIENT_ID": "c",
                "QLIK_OAUTH_CLIENT_SECRET": "s",
            },
            "QLIK_API_KEY and QLIK_OAUTH_CLIENT_ID are both set",
        ),
        (["--context", "absent"], {}, "contexts file not found"),
        (["--oauth-client-secret", "s"], {}, "unrecognized arguments: --oauth-client-secret"),
    ],
)
def test_cli_bad_credentials_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    variables: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("QLIK_CLI_USER_HOME_DIR", str(tmp_path / "no-cli-home"))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    status = main(migrate_arguments(tmp_path, *options))

    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "results.jsonl").exists()


def test_cli_help_lists_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--help"]) == 0
    text = capsys.readouterr().out

    for name in VARIABLES[1:]:
        assert name in text
    assert "--oauth-client-id" in text
    assert "--context NAME" in text
