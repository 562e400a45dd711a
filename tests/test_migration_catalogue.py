"""Catalogue parsing, documentation file names, the journal and the progress printer."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from qlik_dataproducts._migration_catalogue import LineError, parse_line, read_catalogue
from qlik_dataproducts._migration_files import doc_file_name
from qlik_dataproducts._migration_journal import Journal, LineState, load_previous_state
from qlik_dataproducts._migration_progress import ProgressPrinter
from qlik_dataproducts._migration_report import MigrationProgress


def parse(document: object) -> object:
    return parse_line(1, json.dumps(document).encode())


def reason_of(raw: bytes) -> str:
    with pytest.raises(LineError) as caught:
        parse_line(7, raw)
    return caught.value.reason


def test_parse_maps_camel_case() -> None:
    entry = parse_line(
        3,
        json.dumps(
            {
                "name": "Sales",
                "tags": ["a"],
                "readMe": "# Sales",
                "spaceId": "s1",
                "datasetIds": ["d1", "d2"],
                "description": "text",
                "glossaryIds": ["g"],
                "keyContacts": [{"userId": "u1", "role": "Data Steward"}, {"userId": "u2"}],
                "apiConsumableDatasetIds": ["d2"],
                "activate": True,
                "targetSpaceId": "m1",
            }
        ).encode(),
    )

    assert entry.line == 3
    assert entry.create_arguments == {
        "name": "Sales",
        "tags": ["a"],
        "read_me": "# Sales",
        "space_id": "s1",
        "dataset_ids": ["d1", "d2"],
        "description": "text",
        "glossary_ids": ["g"],
        "api_consumable_dataset_ids": ["d2"],
    }
    assert entry.key_contacts == (("u1", "Data Steward"), ("u2", None))
    assert entry.activate is True
    assert entry.target_space_id == "m1"


def test_parse_null_means_absent() -> None:
    entry = parse_line(1, b'{"name": "A", "description": null, "tags": null}')

    assert entry.create_arguments == {"name": "A"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"# a comment\n", "invalid JSON"),
        (b'{"name": "A",}\n', "invalid JSON"),
        (b'["name"]\n', "not a JSON object"),
        (b'{"name": "A", "owner": "u"}', "unknown key 'owner'"),
        (b'{"name": "A", "name": "B"}', "duplicate key"),
        (b'{"tags": ["a"]}', "missing name"),
        (b'{"name": 5}', "invalid type"),
        (b'{"name": "A", "tags": "a"}', "invalid type"),
        (b'{"name": "A", "datasetIds": ["d", 1]}', "invalid type"),
        (b'{"name": "A", "keyContacts": [{"role": "x"}]}', "missing userId"),
        (b'{"name": "A", "keyContacts": [{"userId": "u", "mail": "m"}]}', "unknown key 'mail'"),
        (b'{"name": "A", "keyContacts": ["u"]}', "invalid type"),
        (b'{"name": "A", "activate": "yes"}', "invalid type"),
        (b'{"name": "A", "targetSpaceId": "m"}', "targetSpaceId without activate"),
        (
            b'{"name": "A", "activate": false, "targetSpaceId": "m"}',
            "targetSpaceId without activate",
        ),
        (b'{"name": "\xff"}', "invalid UTF-8"),
    ],
)
def test_parse_rejects_bad_line(raw: bytes, reason: str) -> None:
    assert reason_of(raw) == reason


def test_read_skips_blank_lines(tmp_path: Path) -> None:
    catalogue = tmp_path / "c.jsonl"
    catalogue.write_bytes(b'\xef\xbb\xbf{"name": "A"}\n\n   \r\n{"name": "B"}')

    lines = list(read_catalogue(catalogue))

    assert [number for number, _ in lines] == [1, 4]
    assert parse_line(*lines[0]).name == "A"


def test_doc_name_is_one_safe_component() -> None:
    name = doc_file_name(12, "../../etc/passwd " + "x" * 300, "abc/../def")

    assert "/" not in name
    assert "\\" not in name
    assert name.startswith("12-etc-passwd-x")
    assert name.endswith("-abc-def.md")
    assert len(name) < 140


def test_doc_name_for_unicode() -> None:
    assert doc_file_name(3, "Données clients", "id1") == "3-donnees-clients-id1.md"
    assert doc_file_name(4, "顧客データ", "id2") == "4-data-product-id2.md"


def test_journal_survives_cut_line(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    journal_file = tmp_path / "results.jsonl.journal"
    journal_file.write_text(
        '{"line": 1, "event": "creating"}\n{"line": 1, "event": "created", "id": "p1", "na',
        encoding="utf-8",
    )
    journal = Journal(journal_file)
    journal.record(2, "creating")
    journal.close()

    states = load_previous_state(results)

    assert states[1].create_outcome_unknown
    assert states[2].create_outcome_unknown


def test_state_round_trips_results() -> None:
    state = LineState(line=5, product_id="p5", name="Sales", create_started=True)
    state.apply({"event": "activated"})
    state.apply({"event": "failed", "step": "export", "reason": "HTTP 503", "error": {}})

    copy = LineState.from_result(state.to_result())

    assert copy.product_id == "p5"
    assert copy.activated
    assert copy.step == "export"
    assert not copy.create_outcome_unknown


def progress(finished: int, total: int = 100) -> MigrationProgress:
    return MigrationProgress(
        total=total,
        finished=finished,
        created=finished,
        activated=0,
        documented=finished,
        failed=0,
        previously_done=0,
        rate_limited=0,
        paused_seconds=0.0,
        elapsed=1.0,
        stopping=False,
    )


def test_progress_logs_every_tenth() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream, interactive=False, clock=lambda: 0.0)
    for finished in range(1, 101):
        printer.update(progress(finished))

    lines = stream.getvalue().splitlines()

    assert len(lines) == 11
    assert lines[-1].startswith("[100/100] 100%")


def test_progress_logs_after_five_seconds() -> None:
    stream = io.StringIO()
    now = [0.0]
    printer = ProgressPrinter(stream, interactive=False, clock=lambda: now[0])
    printer.update(progress(1))
    printer.update(progress(2))
    now[0] = 6.0
    printer.update(progress(3))

    assert len(stream.getvalue().splitlines()) == 2


def test_progress_redraws_on_terminal() -> None:
    stream = io.StringIO()
    now = [0.0]
    printer = ProgressPrinter(stream, interactive=True, clock=lambda: now[0])
    printer.update(progress(1))
    now[0] = 1.0
    printer.update(progress(2))
    printer.close()

    assert stream.getvalue().count("\r") == 2
    assert stream.getvalue().endswith("\n")
