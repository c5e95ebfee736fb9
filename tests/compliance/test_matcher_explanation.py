from __future__ import annotations

import json

from compliance.matcher import DEFAULT_THRESHOLD, Candidate, Index, score_pair

HUAWEI = Candidate(
    key=7,
    name="Huawei Technologies Co., Ltd.",
    aliases=("Huawei",),
    countries=("CN",),
    source="EL",
    addresses=("Bantian, Longgang District, Shenzhen, CN",),
)
OTHERS = [
    Candidate(key=8, name="Bank Melli Iran", countries=("IR",), source="SDN"),
    Candidate(key=9, name="Rosneft Trading S.A.", countries=("CH",), source="SSI"),
]


def _index() -> Index:
    return Index.build([HUAWEI, *OTHERS], version=12)


def test_it_finds_a_name_written_differently() -> None:
    matches = _index().search("HUAWEI TECH CO LTD", threshold=DEFAULT_THRESHOLD)
    assert [m.key for m in matches] == [7]
    assert matches[0].score == 1.0


def test_it_says_which_name_or_alias_matched_and_the_normalised_forms() -> None:
    match = _index().search("Huawei Technologies Company Limited", threshold=DEFAULT_THRESHOLD)[0]
    explanation = match.explanation
    assert explanation["matched_name"] == "Huawei Technologies Co., Ltd."
    assert explanation["matched_is_alias"] is False
    assert explanation["query_normalised"] == "huawei technologies"
    assert explanation["matched_normalised"] == "huawei technologies"
    assert explanation["legal_forms"] == {"query": ["LLC"], "name": ["LLC"], "effect": "none"}


def test_it_reports_per_token_scores_and_what_was_left_over() -> None:
    _, explanation = score_pair("Huawei Technologes Shenzhen", "Huawei Technologies")
    pairs = {(t["query"], t["name"]): t["score"] for t in explanation["token_matches"]}
    assert pairs[("huawei", "huawei")] == 1.0
    assert 0.8 < pairs[("technologes", "technologies")] < 1.0
    assert explanation["unmatched_query_tokens"] == ["shenzhen"]
    assert set(explanation["coverage"]) == {"query", "name"}


def test_a_matching_country_raises_the_score_and_says_so() -> None:
    without, _ = score_pair("Huawei Technologes", "Huawei Technologies")
    with_country, explanation = score_pair("Huawei Technologes", "Huawei Technologies", country_a="cn", country_b="CN")
    assert with_country > without
    assert explanation["country"]["note"] == "country agrees"
    assert explanation["country"]["effect"] > 0


def test_a_different_country_lowers_a_fuzzy_score() -> None:
    without, _ = score_pair("Huawei Technologes", "Huawei Technologies")
    other, explanation = score_pair("Huawei Technologes", "Huawei Technologies", country_a="US", country_b="CN")
    assert other < without
    assert explanation["country"]["effect"] < 0


def test_a_different_country_never_hides_an_exact_name_match() -> None:
    matches = _index().search("Huawei Technologies Co Ltd", country="US", threshold=DEFAULT_THRESHOLD)
    assert matches[0].key == 7
    assert matches[0].score == 1.0
    assert "never lowered" in matches[0].explanation["country"]["note"]


def test_an_alias_match_is_marked_as_alias() -> None:
    match = _index().search("HUAWEI", threshold=DEFAULT_THRESHOLD)[0]
    assert match.matched_name == "Huawei"
    assert match.explanation["matched_is_alias"] is True


def test_explanations_are_json_serialisable() -> None:
    for match in _index().search("Huawei", country="CN", threshold=0.5, address="Shenzhen"):
        json.dumps(match.as_dict())


def test_unrelated_names_do_not_match() -> None:
    assert _index().search("Volkswagen Aktiengesellschaft", threshold=DEFAULT_THRESHOLD) == []


def test_the_index_can_be_searched_in_either_direction_and_in_bulk() -> None:
    parties = Index.build([Candidate(key=i, name=n) for i, n in enumerate(["Acme Ltd", "Hua Wei Tech Co", "Foo"])])
    assert [m.key for m in parties.search("Huawei Technologies Co., Ltd.", threshold=DEFAULT_THRESHOLD)] == [1]
    results = _index().search_many(
        [("Huawei", None), ("Bank Meli Iran", "IR"), ("Nothing Like It", None)], threshold=0.8
    )
    assert [[m.key for m in r] for r in results] == [[7], [8], []]


def test_the_index_carries_its_list_version() -> None:
    assert _index().version == 12


def test_one_word_inside_a_longer_name_is_not_enough_on_its_own() -> None:
    score, explanation = score_pair("Shell plc", "Donna Shell")
    assert score < DEFAULT_THRESHOLD
    assert explanation["thin_evidence"] is True
    assert explanation["unmatched_name_tokens"] == ["donna"]


def test_a_name_of_generic_words_inside_a_longer_name_is_not_enough() -> None:
    score, explanation = score_pair("Societe Generale", "Societe Generale de Pain")
    assert score < DEFAULT_THRESHOLD
    assert explanation["thin_evidence"] is True


def test_an_agreeing_country_lifts_one_word_inside_a_name_of_generic_words() -> None:
    alone, _ = score_pair("Huawei", "Huawei Technologies Co., Ltd.")
    with_country, _ = score_pair("Huawei", "Huawei Technologies Co., Ltd.", country_a="CN", country_b="CN")
    assert alone < DEFAULT_THRESHOLD <= with_country


def test_a_repeated_word_is_evidence_not_noise() -> None:
    score, explanation = score_pair("Johnson & Johnson", "Johnson Hu")
    assert score < DEFAULT_THRESHOLD
    assert explanation["conflict"] is True
    assert explanation["unmatched_query_tokens"] == ["johnson"]


def test_a_one_word_name_tolerates_a_slip_but_not_a_sound_alike() -> None:
    assert score_pair("Hannibol", "Hannibal")[0] >= DEFAULT_THRESHOLD
    score, explanation = score_pair("Hitachi, Ltd.", "Hitech Corporation")
    assert score < DEFAULT_THRESHOLD
    assert explanation["token_matches"] == []
