"""The import's fast path for well-formed records (`schemas.reading_fast`) gives exactly what
the full pydantic validation (`schemas.reading_full`) gives, or steps aside: on every record
of the malformed corpus and on records made up by hypothesis. So every error is still
worded by the one model, and no rule lives in two places. No database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mallctl.telemetry import ingest
from mallctl.telemetry.schemas import (
    DATA_FIELDS,
    FIELD_RULES,
    ReadingData,
    first_error,
    reading_check,
    reading_fast,
    reading_full,
)

CORPUS = Path(__file__).parent / "corpus"


def outcome(check: Any, record: dict[str, Any]) -> str:
    """What a validation makes of a record, strictly: repr tells 1.5 from 1.50 and '2' from
    2, so equal outcomes store equal values; an error by the reason the person reads."""
    try:
        return repr(check(record))
    except ValidationError as exc:
        return f"error: {first_error(exc)}"
    except Exception as exc:  # the model's own failures: the fast path must not hide them
        return f"{type(exc).__name__}: {exc}"


def assert_agrees(record: dict[str, Any]) -> bool:
    """The fast path's result is the model's, or it steps aside; returns whether it took
    the record."""
    full = outcome(reading_full, record)
    fast = reading_fast(record)
    if fast is not None:
        assert repr(fast) == full, record
    assert outcome(reading_check, record) == full, record
    return fast is not None


def corpus_records() -> list[dict[str, Any]]:
    records = []
    for path in sorted(CORPUS.iterdir()):
        with open(path, "rb") as handle:
            fmt = ingest.detect_format(path, handle.read(4096))
            handle.seek(0)
            records += [r.record for r in ingest.read_rows(path, handle, fmt) if r.record]
    return records


def test_the_fast_path_runs_the_rules_of_every_measured_field():
    assert tuple(FIELD_RULES) == DATA_FIELDS == tuple(ReadingData.model_fields)


def test_the_fast_path_agrees_with_the_model_on_every_corpus_record():
    records = corpus_records()
    taken = [assert_agrees(r) for r in records]
    assert len(records) > 100
    assert 0 < sum(taken) < len(records)  # it takes the good rows, and leaves the bad ones


def test_the_fast_path_takes_the_usual_ndjson_and_csv_records():
    ndjson = {
        "device_id": "POS-0001",
        "device_type": "POS",
        "shop_id": "L1-001",
        "timestamp": "2026-11-24T10:30:00+08:00",
        "data": {"sales_amount": Decimal("88.5"), "transaction_count": 3},
    }
    csv = {
        "device_id": "ENV-0001",
        "device_type": "ENVIRONMENT",
        "shop_id": "L1-001",
        "timestamp": "2026-11-24T10:30:00",
        "data": {"temperature": "22.5", "humidity": "55"},
    }
    assert assert_agrees(ndjson) and assert_agrees(csv)
    assert reading_fast(ndjson).values["sales_amount"] == Decimal("88.50")  # type: ignore[union-attr]


TRICKY_TEXT = [
    "", " ", "FT-1", " FT-1", "FT-1 ", "ft-1\t", "POS", "pos", "L1-001", "l1-001 ", "1",
    "2026-11-24T10:30:00+08:00", " 2026-11-24T10:30:00Z", "a\x00b", "x\ud83d", "\u00a0x",
    "x\u2028", "一层", "x" * 64, "x" * 65, "NaN", "12", "12.0", " 7 ", "1e3", "-0.00",
]  # fmt: skip
texts = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=70))
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(places=None),
    st.decimals(places=3, min_value=-(10**13), max_value=10**13),
    st.floats(),
    st.booleans(),
    st.from_regex(r"\s?[-+]?\d{0,20}(\.\d{0,5})?\s?", fullmatch=True),
)
values = st.one_of(
    st.none(), numbers, texts, st.lists(st.integers(), max_size=2), st.just({"a": 1})
)
data = st.one_of(
    st.dictionaries(st.sampled_from([*DATA_FIELDS, "firmware"]), values, max_size=6), values
)
records = st.fixed_dictionaries(
    {},
    optional={
        "device_id": st.one_of(texts, values),
        "device_type": st.one_of(texts, values),
        "shop_id": st.one_of(texts, values),
        "timestamp": st.one_of(texts, values),
        "data": data,
        "ip": texts,
    },
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_the_fast_path_agrees_with_the_model_on_made_up_records(record: dict[str, Any]):
    assert_agrees(record)
