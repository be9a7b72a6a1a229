"""PII detection and scrubbing on real BBC sentences with planted emails, phones, cards, IBANs, IPs,
Chinese mobile and ID-card numbers, and person names."""

from __future__ import annotations

import pytest

from kgsynth.types import Example
from tests.test_clean import _ex, _run, _unique_sentences


@pytest.fixture(scope="module")
def base() -> list[Example]:
    return [_ex(s, label) for s, label in _unique_sentences(3)]


PII_EN = [
    ("Contact the press office at press.office@bbc-example.co.uk for details.", "EMAIL"),
    ("Readers can call +44 20 7946 0958 with their stories.", "PHONE"),
    ("The card number 4539 1488 0343 6467 was used in the fraud.", "CREDIT_CARD"),
    ("Payments went to GB82 WEST 1234 5698 7654 32 before the deadline.", "IBAN"),
    ("The attack came from the address 203.0.113.45 late on Friday.", "IP"),
]
PII_ZH = [
    ("请联系记者，电话13912345678，我们会尽快回复。", "CN_MOBILE"),
    ("他的身份证号是11010519491231002X，已经登记。", "CN_ID"),
]


def test_pii_drop_removes_planted_only(base):
    planted = [_ex(t) for t, _ in PII_EN] + [_ex(t, lang="zh") for t, _ in PII_ZH]
    types = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP", "CN_MOBILE", "CN_ID"]
    kept, removed, reasons = _run("pii", base + planted, mode="drop", types=types)
    assert removed == {e.id for e in planted}
    got = {r.example.input: r.reason for r in reasons}
    for text, kind in PII_EN + PII_ZH:
        assert kind in got[text]


def test_pii_scrub_keeps_text_readable(base):
    planted = [_ex(t) for t, _ in PII_EN]
    kept, removed, _ = _run("pii", planted + [_ex(t, lang="zh") for t, _ in PII_ZH])
    assert not removed
    texts = [e.input for e in kept]
    assert texts[0] == "Contact the press office at [EMAIL] for details."
    assert "[PHONE]" in texts[1] and "[CREDIT_CARD]" in texts[2] and "[IBAN]" in texts[3]
    assert "[IP]" in texts[4]
    assert "[PHONE]" in texts[5] and "[ID_NUMBER]" in texts[6]
    assert all(e.meta["prev_id"] for e in kept)
    # a person name from a real BBC sentence is scrubbed by spaCy NER
    blair = next((e for e in base if "Blair" in e.input), None) or _ex(
        "Tony Blair said the plan was sound."
    )
    (scrubbed,), _, _ = _run("pii", [blair], types=["PERSON"])
    assert "[PERSON]" in scrubbed.input and "Blair" not in scrubbed.input


def test_pii_checksums_reject_lookalikes():
    from synth.clean.pii import find_pii

    assert not find_pii("Order 4539 1488 0343 6468 shipped.", types=("CREDIT_CARD",))
    assert not find_pii("Ref GB82 WEST 1234 5698 7654 33 closed.", types=("IBAN",))
    assert not find_pii("编号110105194912310021作废", types=("CN_ID",))
    assert not find_pii("Profits rose 12.5% to £1,200,000 in 2004-2005.", types=("PHONE", "IP"))


def test_ipv6_and_formats():
    from synth.clean.pii import find_pii, scrub

    text = "Hosts 2001:db8::1 and 10.0.0.256 (not an IP), meeting at 10:30:45."
    spans = find_pii(text, types=("IP",))
    assert [s.text for s in spans] == ["2001:db8::1"]
    assert scrub(text, spans).startswith("Hosts [IP] and 10.0.0.256")
    assert [s.type for s in find_pii("Ring 020 7946 0958 or +86 139 1234 5678.")] == [
        "PHONE",
        "CN_MOBILE",
    ]


def test_scrubbing_real_sentences_changes_only_pii(base):
    kept, removed, _ = _run("pii", base, types=["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP"])
    assert not removed
    assert [e.input for e in kept] == [e.input for e in base]  # real news has none of these


def test_chinese_person_names_are_opt_in():
    from synth.clean.pii import find_pii

    text = "记者王小明在北京报道，电话13912345678。"
    assert [s.type for s in find_pii(text, lang="zh")] == ["CN_MOBILE"]
    spans = find_pii(text, lang="zh", types=("PERSON", "CN_MOBILE"))
    assert ("PERSON", "王小明") in [(s.type, s.text) for s in spans]
