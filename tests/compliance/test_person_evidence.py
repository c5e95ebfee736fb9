"""Birth dates, nationalities and identity documents as evidence beside a person's name."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.index import build_index, document_numbers
from compliance.matcher import Candidate, Index, Person
from licensing.models import Hit
from tests.factories import make_entity
from tests.licensing.factories import make_application, party

THRESHOLD = 0.8

LISTED = Candidate(
    key=1,
    name="Mohammed Ahmed Al-Rashidi",
    countries=("SY",),
    birth_dates=("1975-03-02", "1976"),
    nationalities=("SY",),
    documents=("N0012345",),
)
NAMESAKE_LISTED = Candidate(key=2, name="Mohammed Ahmed Rashidi", birth_dates=("1975",))


def index() -> Index:
    return Index.build([LISTED, Candidate(key=3, name="Rosneft Trading SA")])


def person_detail(match: Any) -> dict[str, Any]:
    return dict(match.explanation["person"])


def test_without_person_evidence_nothing_changes() -> None:
    [plain] = index().search("Mohammed Ahmed Al Rashidi", threshold=THRESHOLD)
    [empty] = index().search("Mohammed Ahmed Al Rashidi", threshold=THRESHOLD, person=Person())
    assert plain.score == empty.score
    assert "person" not in plain.explanation


def test_a_birth_date_more_than_a_year_away_marks_a_different_person_and_drops_the_match() -> None:
    name = "Mohamed Ahmed Al Rashidi"
    [found] = index().search(name, threshold=THRESHOLD)
    assert found.score >= THRESHOLD
    assert index().search(name, threshold=THRESHOLD, person=Person(birth_date="1990-05-01")) == []
    # At a threshold of zero the lowered score and the reason are visible.
    [lowered] = index().search(name, threshold=0.0, person=Person(birth_date="1990-05-01"))
    assert person_detail(lowered)["verdict"] == "likely a different person"
    assert "14 years from the list's" in person_detail(lowered)["evidence"][0]["note"]


def test_an_exact_name_is_reported_whatever_the_birth_date() -> None:
    [match] = index().search("Mohammed Ahmed Al-Rashidi", threshold=THRESHOLD, person=Person(birth_date="1990"))
    assert match.score >= THRESHOLD
    assert "an exact name is never lowered" in person_detail(match)["evidence"][0]["note"]


def test_a_birth_date_within_a_year_neither_helps_nor_hurts() -> None:
    name = "Mohamed Ahmed Al Rashidi"
    [plain] = index().search(name, threshold=THRESHOLD)
    [close] = index().search(name, threshold=THRESHOLD, person=Person(birth_date="1977"))
    assert close.score == plain.score
    assert "within 1 year" in person_detail(close)["evidence"][0]["note"]


def test_a_matching_birth_year_and_date_raise_the_score_and_say_so() -> None:
    name = "Mohamad Ahmad Rashidi"
    [plain] = index().search(name, threshold=THRESHOLD)
    [year] = index().search(name, threshold=THRESHOLD, person=Person(birth_date="1976"))
    [date] = index().search(name, threshold=THRESHOLD, person=Person(birth_date="1975-03-02"))
    assert plain.score < year.score < date.score
    assert person_detail(year)["evidence"][0]["note"] == "birth year 1976 matches"
    assert person_detail(date)["evidence"][0]["note"] == "birth date 1975-03-02 matches"


def test_a_shared_nationality_adds_a_little_and_a_different_one_is_only_noted() -> None:
    name = "Mohamad Ahmad Rashidi"
    [plain] = index().search(name, threshold=THRESHOLD)
    [same] = index().search(name, threshold=THRESHOLD, person=Person(nationalities=("SY",)))
    [other] = index().search(name, threshold=THRESHOLD, person=Person(nationalities=("FR",)))
    assert same.score > plain.score
    assert other.score == plain.score
    assert "nationality differs" in person_detail(other)["evidence"][0]["note"]


def test_a_matching_document_number_is_decisive_even_when_the_name_is_not_close() -> None:
    person = Person(documents=("n-001 2345",))
    [match] = index().search("M. A. Rashid", threshold=THRESHOLD, person=person)
    assert match.key == LISTED.key
    assert match.score == 1.0
    assert "document number N0012345 matches: decisive" in person_detail(match)["evidence"][0]["note"]
    # A document number decides even against a birth date that disagrees.
    [both] = index().search(
        "Mohamed Ahmed Al Rashidi", threshold=THRESHOLD, person=Person(birth_date="1990", documents=("N0012345",))
    )
    assert both.score == 1.0


def test_document_numbers_are_read_from_the_csl_ids_column() -> None:
    ids = [
        "LB, 3864865468, Identification Number",
        "LB, LR0162690, Passport",
        "Male, Gender",
        "JO, 2014-08-30, 2009-08-31, K475336, Passport",
        "section 1(b) of Executive Order 13224, Secondary sanctions risk:",
        {"number": "AB 12345", "type": "Passport"},
    ]
    assert document_numbers(ids) == ("3864865468", "LR0162690", "K475336", "AB12345")


@pytest.mark.django_db
def test_a_person_party_is_screened_with_its_birth_date_and_documents(compliance_admin: Any) -> None:
    make_entity(
        "Mohammed Ahmed Al-Rashidi",
        actor=compliance_admin,
        country="SY",
        dates_of_birth=("1975-03-02",),
        nationalities=("SY",),
        ids=("SY, N0012345, Passport",),
        entity_type="individual",
    )
    index = build_index()
    [candidate] = index.candidates
    assert candidate.documents == ("N0012345",)
    different = make_application(
        destination="SY",
        parties=[party("Mohamed Ahmed Al Rashidi", country="SY", date_of_birth="1991-07-01")],
        submitted=True,
    )
    assert not Hit.objects.filter(party__application=different).exists()
    same = make_application(
        destination="SY",
        parties=[party("M. Rashidi", country="SY", id_numbers="N 0012345")],
        submitted=True,
    )
    hit = Hit.objects.get(party__application=same)
    assert hit.score == 1.0
    assert hit.explanation["person"]["verdict"] == "same person (document)"
