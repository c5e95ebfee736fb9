"""A name written in another script meets its Latin listing, and a Latin name its listed original.

Pairs per script in both directions; the Arabic and Cyrillic ones are real names from the UN
Security Council list (its NAME_ORIGINAL_SCRIPT beside the Latin name), the others public names.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from compliance import index as index_module
from compliance.matcher import DEFAULT_THRESHOLD, Candidate, Index, score_pair
from tests.factories import make_entity

# (script, name as written in it, the Latin spelling a list or a customer uses)
PAIRS = [
    ("Arabic", "محمد", "Mohammed"),
    ("Arabic", "حمد الله سنانی", "HAMDULLAH SUNANI"),  # UN list, TAi.111
    ("Arabic", "شهاب الدين دلاور", "SHAHABUDDIN DELAWAR"),  # UN list
    ("Arabic", "مزاحم صعب حسن التكريتي", "MUZAHIM SA'B HASSAN AL-TIKRITI"),  # UN list
    ("Persian", "علی خامنه‌ای", "Ali Khamenei"),
    ("Persian", "محمد جواد ظریف", "Mohammad Javad Zarif"),
    ("Hebrew", "בנימין נתניהו", "Benjamin Netanyahu"),
    ("Hebrew", "יצחק רבין", "Yitzhak Rabin"),
    ("Greek", "Αλέξης Τσίπρας", "Alexis Tsipras"),
    ("Thai", "ทักษิณ ชินวัตร", "Thaksin Shinawatra"),
    ("Japanese kana", "ヤマダ タロウ", "Yamada Taro"),
    ("Japanese kanji", "山田太郎", "Yamada Taro"),
    ("Japanese kanji", "岸田文雄", "Kishida Fumio"),
    ("Japanese kanji", "麻原彰晃", "Asahara Shoko"),
    ("Korean", "김정은", "Kim Jong Un"),
    ("Korean", "최룡해", "Choe Ryong Hae"),
    ("Cyrillic", "Владимир Путин", "Vladimir Putin"),
    ("Chinese", "华为技术有限公司", "Huawei Technologies Co., Ltd."),
    ("Chinese", "习近平", "Xi Jinping"),
]


@pytest.mark.parametrize(("script", "written", "latin"), PAIRS, ids=[f"{p[0]}-{p[2]}" for p in PAIRS])
def test_a_name_in_another_script_meets_its_latin_spelling_both_ways(script: str, written: str, latin: str) -> None:
    assert score_pair(written, latin)[0] >= DEFAULT_THRESHOLD
    assert score_pair(latin, written)[0] >= DEFAULT_THRESHOLD


def test_the_explanation_shows_the_transliterations_that_met() -> None:
    score, explanation = score_pair("محمد", "Mohammed")
    via = explanation["transliteration"]
    assert via["method"] == "consonant skeleton"
    assert via["query_script"] == "Arabic" and via["name_script"] == "Latin"
    assert via["query_reading"] == "mhmd" and via["name_reading"] == "mohammed"
    assert via["query_skeleton"] == via["name_skeleton"] == "mhmt"
    assert explanation["token_matches"] == [{"query": "mhmt", "name": "mhmt", "score": 1.0}]
    # A meeting of skeletons is never called exact.
    assert explanation["exact"] is False and score < 1.0


def test_a_japanese_name_is_explained_by_its_reading() -> None:
    _, explanation = score_pair("山田太郎", "Yamada Taro")
    assert explanation["transliteration"]["query_reading"] == "yamada taro"
    # Kana are read as names are spelt: a small "yo" joins its syllable, long vowels count once.
    assert score_pair("麻原彰晃", "Asahara Shoko")[1]["transliteration"]["query_reading"] == "asahara shoko"


def test_two_different_people_sharing_a_first_name_do_not_meet_in_either_script() -> None:
    # Two different people on the UN list, both "... التكريتي".
    first, second = "مزاحم صعب حسن التكريتي", "صدام حسين التكريتي"
    assert score_pair(first, second)[0] < DEFAULT_THRESHOLD
    assert score_pair(first, "SADDAM HUSSEIN AL-TIKRITI")[0] < DEFAULT_THRESHOLD
    assert score_pair("محمد علي", "Mohammed Hassan")[0] < DEFAULT_THRESHOLD


def test_latin_names_are_scored_as_before() -> None:
    _, explanation = score_pair("Mohammed Ali", "Muhammad Ali")
    assert "transliteration" not in explanation


def test_the_index_finds_a_listed_latin_name_from_arabic_and_an_arabic_listing_from_latin() -> None:
    index = Index.build(
        [
            Candidate(key=1, name="HAMDULLAH SUNANI"),
            Candidate(key=2, name="Hamid Sultani"),
            Candidate(key=3, name="SIRAJUDDIN JALLALOUDINE HAQQANI", aliases=("سراج الدين جلال الدين حقانى",)),
        ]
    )
    found = index.search("حمد الله سنانی", threshold=DEFAULT_THRESHOLD)
    assert [m.key for m in found] == [1]
    assert found[0].explanation["transliteration"]["query_script"] == "Persian"
    arabic_only = Index.build([Candidate(key=7, name="شهاب الدين دلاور"), Candidate(key=8, name="Shahab Delawar Co")])
    found = arabic_only.search("Shahabuddin Delawar", threshold=DEFAULT_THRESHOLD)
    assert found[0].key == 7
    assert found[0].explanation["transliteration"]["name_reading"] == "shhb al dyn dlwr"


@pytest.mark.django_db
def test_the_screening_page_shows_the_readings_that_met(
    reviewer: User, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "VERSION_TTL_SECONDS", 0.0)
    index_module.reset_index()
    make_entity("HAMDULLAH SUNANI", country="AF")
    response = client_for(reviewer).get(reverse("compliance:screen"), {"name": "حمد الله سنانی"})
    index_module.reset_index()
    page = response.content.decode()
    assert "HAMDULLAH SUNANI" in page
    assert "Read across scripts (Persian ↔ Latin, consonant skeleton)" in page
    assert "“hmd al lh snny” [hmt ar r sn] met “hamdullah sunani” [hmtr sn]" in page


def test_a_short_skeleton_is_too_little_to_match_a_company_to_a_person() -> None:
    # "Baidu" and "فيض" (Faiz) are both "bt"; "Hershey" and "الحراشي" (al-Harrashi) both "hrs".
    index = Index.build([Candidate(key=1, name="فيض", countries=("AF",)), Candidate(key=2, name="الحراشي")])
    for company in ("Baidu, Inc.", "BYD Company Limited", "The Hershey Company", "Mattel, Inc."):
        assert index.search(company, country="AF", threshold=DEFAULT_THRESHOLD) == []


def test_a_listed_name_written_in_both_scripts_still_meets_its_latin_part() -> None:
    assert score_pair("El Harrachi", "El Harrachi (الحراشي)")[0] >= DEFAULT_THRESHOLD
