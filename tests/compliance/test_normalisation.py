from __future__ import annotations

import pytest

from compliance.normalise import analyse, normalise


def test_it_folds_case_accents_and_full_width_letters() -> None:
    assert normalise("Margarita Simonyán") == "margarita simonyan"
    assert normalise("ＳＩＥＭＥＮＳ") == "siemens"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ротенберг Аркадий", "rotenberg arkadiy"),
        ("Барак Обама", "barak obama"),
        ("Բարակ Օբամա", "barak obama"),
    ],
)
def test_it_transliterates_non_latin_scripts(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_it_spaces_chinese_syllables_and_translates_generic_company_words() -> None:
    name = analyse("华为技术有限公司")
    assert name.tokens == ("hua", "wei", "technologies")
    assert name.legal_forms == ("LLC",)


def test_it_transliterates_arabic_script() -> None:
    assert normalise("محمد") != ""
    assert normalise("محمد").isascii()


def test_it_splits_on_punctuation_and_drops_apostrophes() -> None:
    assert normalise("Al-Qa'ida/Islamic Army") == "al qaida islamic army"


def test_it_drops_legal_forms_and_keeps_their_kind() -> None:
    name = analyse("Huawei Technologies Co., Ltd.")
    assert name.tokens == ("huawei", "technologies")
    assert name.legal_forms == ("LLC",)
    assert analyse("OOO Oboronnye Initsiativy").legal_forms == ("LLC",)
    assert analyse("Open Joint Stock Company Gazprom").tokens == ("gazprom",)
    assert analyse("FABERLIC EUROPE Sp. z o.o.").tokens == ("faberlic", "europe")


def test_it_only_takes_short_legal_forms_at_the_edges() -> None:
    # "AS" and "A O" are words or initials inside a name.
    assert normalise("A O Smith Corp") == "ao smith"
    assert normalise("Made As Ordered Ltd") == "made as ordered"


def test_it_never_strips_a_name_bare() -> None:
    assert normalise("Company") == "company"


def test_it_expands_common_abbreviations() -> None:
    assert normalise("Huawei Tech") == normalise("Huawei Technologies")
    assert normalise("First Bank Int'l") == "1 bank international"


def test_it_turns_number_words_into_digits() -> None:
    assert normalise("Brigade Forty-Four") == "brigade 44"
    assert normalise("Brigade Forty 4") == "brigade 44"
    assert normalise("1st International Bank") == normalise("First International Bank")


def test_it_drops_leading_titles() -> None:
    assert normalise("Mr. Recep Tayyip Erdoğan") == "recep tayyip erdogan"
    assert normalise("The Homs Refinery Company") == "homs refinery"


def test_it_joins_runs_of_initials() -> None:
    assert normalise("A.B.C. Company") == "abc"
    assert normalise("J.-C. Juncker") == "jc juncker"


def test_it_keeps_repeated_words_because_they_are_part_of_the_name() -> None:
    assert normalise("Johnson & Johnson") == "johnson johnson"
    assert normalise("Sergey Sergey Shoigu") == "sergey sergey shoigu"


def test_it_reads_look_alike_digits_inside_words() -> None:
    assert normalise("Ig0r Sech1n") == "igor sechin"
    assert normalise("3M Company") == "3m"


def test_it_keeps_an_ampersand_inside_a_word() -> None:
    assert normalise("AT&T Inc.") == "att"
