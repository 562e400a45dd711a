"""Generate the example migration catalogues in this folder.

    python examples/make_catalogue.py

writes ``catalogue.jsonl`` (valid data products of varied sizes) and
``catalogue-with-errors.jsonl`` (a short catalogue in which some lines are bad in different
ways). The output depends only on the seed, so running the script again reproduces the
committed files byte for byte.

Every product in ``catalogue.jsonl`` respects the documented create limits. They are: ``name`` 1-200
characters without leading or trailing whitespace, ``description`` at most 1,024
characters, ``readMe`` at most 100,000, at most 50 ``tags``, at most 100 unique
``datasetIds`` matching ``^[0-9a-zA-Z-]{1,36}$``, at most 100 ``glossaryIds`` in lowercase
UUIDv4 form, at most 100 ``keyContacts`` with each user once and ``role`` at most 200
characters, and ``apiConsumableDatasetIds`` a subset of ``datasetIds``. Names are unique,
so no two products share a name within a space.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from pathlib import Path
from typing import Any

SEED = 20240611
PRODUCT_COUNT = 210
FIRST_MAXIMAL_INDEX = 5

DOMAINS = [
    "Sales",
    "Finance",
    "Marketing",
    "Supply Chain",
    "Human Resources",
    "Customer Service",
    "Manufacturing",
    "Logistics",
    "Retail",
    "Procurement",
    "Healthcare Claims",
    "Energy Usage",
]
SUBJECTS = [
    "Pipeline",
    "Revenue",
    "Orders",
    "Inventory",
    "Headcount",
    "Churn",
    "Forecast",
    "Returns",
    "Shipments",
    "Invoices",
    "Campaign Performance",
    "Supplier Scorecard",
    "Quality Incidents",
    "Budget vs Actuals",
]
REGIONS = ["EMEA", "APAC", "North America", "LATAM", "Nordics", "DACH", "Global"]
UNICODE_NAMES = [
    "Données clients – France",  # noqa: RUF001 (the en dash is intended)
    "Ventas por región (España)",
    "顧客データ 月次",
    "Kundenstamm München",
    "Заказы — Москва",
    "Αποθέματα αποθήκης Αθήνα",
    "Vendas Brasil São Paulo",
    "销售漏斗 华东区",
    "Øresund logistikk",
    "İstanbul mağaza satışları",  # noqa: RUF001 (Turkish dotless i)
    "مبيعات الرياض",
    "📦 Shipments tracker",
]
TAG_WORDS = [
    "finance",
    "sales",
    "gdpr",
    "pii",
    "certified",
    "gold",
    "silver",
    "bronze",
    "daily",
    "weekly",
    "monthly",
    "kpi",
    "forecast",
    "crm",
    "erp",
    "sap",
    "salesforce",
    "snowflake",
    "databricks",
    "external",
    "internal",
    "draft",
    "reviewed",
    "emea",
    "apac",
    "americas",
    "executive",
    "operational",
    "regulatory",
    "audit",
]
ROLES = [
    "Data Steward",
    "Data Owner",
    "Subject Matter Expert",
    "Technical Owner",
    "Business Analyst",
    "Data Engineer",
]
SENTENCES = [
    "Figures are reconciled against the general ledger every month.",
    "Rows with a missing customer key are excluded before aggregation.",
    "Currency amounts are converted to EUR at the daily ECB reference rate.",
    "The source system is refreshed nightly at 02:00 UTC.",
    "Historic data before 2019 comes from the legacy warehouse and is less complete.",
    "Ask the data steward before sharing extracts outside the company.",
    "Regional teams own the mapping tables and review them each quarter.",
    "Late-arriving records are merged in the following load.",
]


def main() -> None:
    """Write both example catalogues next to this script, or into --output-dir."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--count", type=int, default=PRODUCT_COUNT)
    arguments = parser.parse_args()

    rng = random.Random(SEED)
    products = build_catalogue(rng, arguments.count)
    write_jsonl(arguments.output_dir / "catalogue.jsonl", products)
    with_errors = arguments.output_dir / "catalogue-with-errors.jsonl"
    with_errors.write_text("\n".join(build_error_lines(rng)) + "\n", encoding="utf-8")


def build_catalogue(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Return ``count`` valid catalogue entries of varied sizes."""
    spaces = [hex_id(rng) for _ in range(8)]
    managed_spaces = [hex_id(rng) for _ in range(3)]
    users = [hex_id(rng) for _ in range(150)]
    names: set[str] = set()
    products = []
    for index in range(count):
        shape = pick_shape(index)
        name = unique_name(rng, index, shape, names)
        # One product gets a readme close to the 100,000-character limit; the other
        # maximal ones stay near 10,000 characters to keep the file small.
        read_me_size = 99_000 if index == FIRST_MAXIMAL_INDEX else 10_000
        product = build_product(rng, name, shape, spaces, users, read_me_size)
        if index % 3 == 1:
            product["activate"] = True
            if index % 2 == 1:
                product["targetSpaceId"] = rng.choice(managed_spaces)
        products.append(product)
    return products


def pick_shape(index: int) -> str:
    """Choose the size of product ``index`` so that every shape appears regularly."""
    if index % 7 == 0:
        return "minimal"
    if index % 23 == FIRST_MAXIMAL_INDEX:
        return "maximal"
    if index % 11 == 3:
        return "large"
    return "typical"


def unique_name(rng: random.Random, index: int, shape: str, names: set[str]) -> str:
    """Return a name not used yet: unicode, at the 200-character limit, or composed."""
    if index % 17 == 2:
        base = UNICODE_NAMES[(index // 17) % len(UNICODE_NAMES)]
    elif shape == "maximal" and index % 2 == 1:
        base = ("Long-name product " + "x" * 200)[:200]
    else:
        base = f"{rng.choice(DOMAINS)} {rng.choice(SUBJECTS)} {rng.choice(REGIONS)}"
    name = base
    suffix = 2
    while name in names:
        name = f"{base[:190]} #{suffix}"
        suffix += 1
    names.add(name)
    return name


def build_product(
    rng: random.Random,
    name: str,
    shape: str,
    spaces: list[str],
    users: list[str],
    read_me_size: int = 10_000,
) -> dict[str, Any]:
    """Return one create request body in camelCase."""
    product: dict[str, Any] = {"name": name}
    if shape == "minimal":
        return product

    sizes = {
        "typical": {"tags": (1, 5), "datasets": (1, 8), "glossary": (0, 3), "contacts": (1, 3)},
        "large": {"tags": (10, 30), "datasets": (20, 60), "glossary": (5, 30), "contacts": (5, 20)},
        "maximal": {
            "tags": (50, 50),
            "datasets": (100, 100),
            "glossary": (100, 100),
            "contacts": (100, 100),
        },
    }[shape]

    product["tags"] = make_tags(rng, rng.randint(*sizes["tags"]))
    product["readMe"] = make_read_me(rng, name, shape, read_me_size)
    if rng.random() < 0.85:
        product["spaceId"] = rng.choice(spaces)
    datasets = [dataset_id(rng) for _ in range(rng.randint(*sizes["datasets"]))]
    product["datasetIds"] = datasets
    product["description"] = make_description(rng, name, shape)
    glossary = [
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(rng.randint(*sizes["glossary"]))
    ]
    if glossary:
        product["glossaryIds"] = glossary
    contact_users = rng.sample(users, min(len(users), rng.randint(*sizes["contacts"])))
    product["keyContacts"] = [
        make_contact(rng, user, long_role=shape == "maximal" and position == 0)
        for position, user in enumerate(contact_users)
    ]
    consumable = [item for item in datasets if rng.random() < 0.4]
    if consumable:
        product["apiConsumableDatasetIds"] = consumable
    return product


def make_tags(rng: random.Random, count: int) -> list[str]:
    """Return ``count`` distinct tags, extended with numbered ones past the word list."""
    words = rng.sample(TAG_WORDS, min(count, len(TAG_WORDS)))
    return words + [f"tag-{number:02d}" for number in range(count - len(words))]


def make_contact(rng: random.Random, user: str, *, long_role: bool = False) -> dict[str, str]:
    """Return a key contact: some have no role, and ``long_role`` gives a 200-character one."""
    if not long_role and rng.random() < 0.1:
        return {"userId": user}
    role = rng.choice(ROLES)
    if long_role:
        role = (role + " for every regional reporting workstream " * 10)[:200]
    return {"role": role, "userId": user}


def make_description(rng: random.Random, name: str, shape: str) -> str:
    """Return a description; maximal products get exactly 1,024 characters."""
    text = f"{name}: " + " ".join(rng.sample(SENTENCES, 3))
    if shape == "maximal":
        text = (text + " " + " ".join(SENTENCES) * 6)[:1023].rstrip() + "."
        text = text.ljust(1024, ".")
    return text


def make_read_me(rng: random.Random, name: str, shape: str, read_me_size: int) -> str:
    """Return a Markdown readme; a maximal one grows to about ``read_me_size`` characters."""
    sections = [
        f"# {name}",
        "## Purpose\n\n" + " ".join(rng.sample(SENTENCES, 4)),
        "## Tables\n\n| Table | Refresh | Owner |\n|---|---|---|\n"
        + "\n".join(
            f"| {rng.choice(SUBJECTS).lower().replace(' ', '_')} | {rng.choice(TAG_WORDS[8:11])} "
            f"| {rng.choice(ROLES)} |"
            for _ in range(rng.randint(2, 6))
        ),
        "## Caveats\n\n" + "\n".join(f"- {sentence}" for sentence in rng.sample(SENTENCES, 3)),
    ]
    text = "\n\n".join(sections) + "\n"
    if shape == "maximal":
        chapter = "\n## Change history\n\n" + "\n".join(
            f"- {year}: {sentence}" for year, sentence in enumerate(SENTENCES, start=2015)
        )
        while len(text) + len(chapter) < read_me_size:
            text += chapter
    elif shape == "large":
        text += "\n## Glossary notes\n\n" + "\n".join(
            f"{number}. {rng.choice(SENTENCES)}" for number in range(1, 60)
        )
    return text


def build_error_lines(rng: random.Random) -> list[str]:
    """Return the lines of the errors catalogue, with a comment beside each bad line."""
    space = hex_id(rng)
    user = hex_id(rng)
    good = {"name": "Quarterly Revenue Bridge", "spaceId": space, "tags": ["finance"]}
    lines: list[Any] = [
        {
            "name": "Customer 360 Nordics",
            "spaceId": space,
            "keyContacts": [{"role": "Data Steward", "userId": user}],
        },
        '{"name": "Broken line", "tags": ["a", "b"]',  # invalid JSON: the object is not closed
        good,
        {"name": "Trailing space product ", "spaceId": space},  # name ends with whitespace
        {"name": "Too many datasets", "datasetIds": [f"ds-{number:03d}" for number in range(101)]},
        {"name": "Plant Downtime Daily", "spaceId": space, "activate": True},
        {  # the same user appears twice in keyContacts
            "name": "Duplicate contact product",
            "keyContacts": [
                {"role": "Data Steward", "userId": user},
                {"role": "Data Owner", "userId": user},
            ],
        },
        {  # apiConsumableDatasetIds names a dataset missing from datasetIds
            "name": "Consumable not subset",
            "datasetIds": ["ds-001", "ds-002"],
            "apiConsumableDatasetIds": ["ds-002", "ds-999"],
        },
        {"name": "Bad glossary id", "glossaryIds": ["not-a-uuid"]},  # not a UUIDv4
        {"name": "Unknown key product", "owner": "someone"},  # "owner" is not a create field
        dict(good),  # same name and space as line 3: the server responds with 409
        {"name": "Target without activate", "targetSpaceId": hex_id(rng)},
        {
            "name": "Retail Footfall Hourly",
            "description": "Store sensors, hourly.",
            "activate": True,
            "targetSpaceId": hex_id(rng),
        },
        {
            "name": "Warehouse Slotting",
            "datasetIds": ["ds-100", "ds-101"],
            "apiConsumableDatasetIds": ["ds-101"],
        },
    ]
    return [
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Write one compact JSON object per line, keeping non-ASCII characters readable."""
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.write_text(text, encoding="utf-8")


def hex_id(rng: random.Random) -> str:
    """Return a 24-character hexadecimal id, the form of Qlik space and user ids."""
    return f"{rng.getrandbits(96):024x}"


def dataset_id(rng: random.Random) -> str:
    """Return a dataset id matching ``^[0-9a-zA-Z-]{1,36}$``."""
    if rng.random() < 0.5:
        return hex_id(rng)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


if __name__ == "__main__":
    main()
