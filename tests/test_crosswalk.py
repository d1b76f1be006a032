"""The crosswalk from LAPD's legacy crime codes and the NIBRS offense codes to crimecast's
categories and the FBI Part I offenses: every code in the real samples maps, and every offense
code in the FBI's published NIBRS list maps."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3

import pandas as pd
import pytest

from crimecast import codes, schema

# The FBI's NIBRS offense codes (NIBRS User Manual: Group A, including the federal-only codes, and
# Group B), with the FBI Part I offense each counts toward under the Summary Reporting System.
FBI_NIBRS_OFFENSES = """
09A Murder and Nonnegligent Manslaughter | criminal homicide
09B Negligent Manslaughter | criminal homicide
09C Justifiable Homicide |
100 Kidnapping/Abduction |
11A Rape | rape
11B Sodomy | rape
11C Sexual Assault With An Object | rape
11D Fondling |
120 Robbery | robbery
13A Aggravated Assault | aggravated assault
13B Simple Assault |
13C Intimidation |
200 Arson | arson
210 Extortion/Blackmail |
220 Burglary/Breaking & Entering | burglary
23A Pocket-picking | larceny-theft
23B Purse-snatching | larceny-theft
23C Shoplifting | larceny-theft
23D Theft From Building | larceny-theft
23E Theft From Coin-Operated Machine or Device | larceny-theft
23F Theft From Motor Vehicle | larceny-theft
23G Theft of Motor Vehicle Parts or Accessories | larceny-theft
23H All Other Larceny | larceny-theft
240 Motor Vehicle Theft | motor vehicle theft
250 Counterfeiting/Forgery |
26A False Pretenses/Swindle/Confidence Game |
26B Credit Card/Automated Teller Machine Fraud |
26C Impersonation |
26D Welfare Fraud |
26E Wire Fraud |
26F Identity Theft |
26G Hacking/Computer Invasion |
26H Money Laundering |
270 Embezzlement |
280 Stolen Property Offenses |
290 Destruction/Damage/Vandalism of Property |
35A Drug/Narcotic Violations |
35B Drug Equipment Violations |
36A Incest |
36B Statutory Rape |
370 Pornography/Obscene Material |
39A Betting/Wagering |
39B Operating/Promoting/Assisting Gambling |
39C Gambling Equipment Violations |
39D Sports Tampering |
40A Prostitution |
40B Assisting or Promoting Prostitution |
40C Purchasing Prostitution |
510 Bribery |
520 Weapon Law Violations |
521 Violation of National Firearm Act of 1934 |
522 Weapons of Mass Destruction |
526 Explosives |
64A Human Trafficking, Commercial Sex Acts |
64B Human Trafficking, Involuntary Servitude |
720 Animal Cruelty |
101 Treason |
103 Espionage |
30A Illegal Entry into the United States |
30B False Citizenship |
30C Smuggling Aliens |
30D Re-entry after Deportation |
360 Failure to Register as a Sex Offender |
49A Harboring Escapee/Concealing from Arrest |
49B Flight to Avoid Prosecution |
49C Flight to Avoid Deportation |
58A Import Violations |
58B Export Violations |
61A Federal Liquor Offenses |
61B Federal Tobacco Offenses |
620 Wildlife Trafficking |
90A Bad Checks |
90B Curfew/Loitering/Vagrancy Violations |
90C Disorderly Conduct |
90D Driving Under the Influence |
90E Drunkenness |
90F Family Offenses, Nonviolent |
90G Liquor Law Violations |
90H Peeping Tom |
90J Trespass of Real Property |
90K Bond Default |
90L Federal Resource Violations |
90M Perjury |
90Z All Other Offenses |
"""
FBI_LIST = [
    (line[:3], line[4:].split("|")[0].strip(), line.split("|")[1].strip() or None)
    for line in FBI_NIBRS_OFFENSES.strip().splitlines()
]


@pytest.mark.parametrize(("code", "desc", "part1"), FBI_LIST)
def test_every_fbi_nibrs_offense_code_maps(code, desc, part1):
    entry = codes.lookup("nibrs", code)
    assert entry is not None, f"NIBRS {code} ({desc}) is not in the crosswalk"
    assert entry.category in schema.CATEGORIES
    assert entry.fbi_part1 == part1
    assert entry.description.lower() == desc.lower()


def test_the_systems_collide_and_the_lookup_takes_the_system():
    assert codes.lookup("legacy", 510).category == "motor-vehicle theft"
    assert codes.lookup("nibrs", "510").category == "other"  # bribery
    assert codes.lookup("nibrs", "510").description == "Bribery"
    assert codes.lookup("legacy", "0510.0").code == "510"
    assert codes.lookup("nibrs", "23h").category == "larceny/theft"
    assert codes.lookup("nibrs", "999") is None and codes.category_for("nibrs", "999") == "other"
    with pytest.raises(ValueError, match="legacy, nibrs"):
        codes.lookup("ucr", "510")


def test_part_one_offenses_carry_their_category_in_both_systems():
    part1_category = dict(zip(codes.FBI_PART1, codes.HIERARCHY[:8], strict=True))
    for entry in codes.crosswalk().values():
        if entry.fbi_part1:
            assert part1_category[entry.fbi_part1] == entry.category, entry
    # Every Part I category is reachable from both systems, so each series runs across the switch.
    for system in codes.SYSTEMS:
        got = {e.fbi_part1 for e in codes.crosswalk().values() if e.system == system}
        assert set(codes.FBI_PART1) <= got, system


def test_legacy_categories_are_the_ones_ingest_uses():
    for (system, code), entry in codes.crosswalk().items():
        if system == "legacy":
            assert schema.crime_category(int(code)) == entry.category
            if int(code) in codes.CRIME_CODES:
                assert codes.CRIME_CODES[int(code)][0] == entry.description
            else:  # codes found only among a report's additional crimes (Crm Cd 2-4)
                assert entry.category == "other" and "Crm Cd 2-4" in entry.description
    assert codes.lookup("nibrs", "11A").sexual and not codes.lookup("nibrs", "13A").sexual
    ranks = {e.category: e.rank for e in codes.crosswalk().values()}
    assert (
        ranks["homicide"] == 1 and ranks["robbery"] < ranks["aggravated assault"] < ranks["arson"]
    )


_CODE_COLUMN = re.compile(r"^(crmcd\d?|crimecode|crimcd|crmcd[1-4])$")


def _norm(name: str) -> str:
    return re.sub(r"[\s_.\-]+", "", str(name).replace("\ufeff", "").lower())


def _sample_frames(incidents_dir):
    for path in sorted(incidents_dir.iterdir()):
        name = path.name
        if name.startswith("_") or name.endswith(".RData"):
            continue  # the R file is refused by ingest; its burglaries are all code 310
        if name.endswith(".sqlite.gz"):
            raw = gzip.decompress(path.read_bytes())
            con = sqlite3.connect(":memory:")
            con.deserialize(raw)
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                yield name, pd.read_sql_query(f'SELECT * FROM "{table}"', con).astype(str)
            con.close()
        elif name.endswith(".json.gz"):
            yield name, pd.DataFrame(json.loads(gzip.decompress(path.read_bytes()))).astype(str)
        else:
            yield name, pd.read_csv(path, dtype=str, keep_default_na=False)


def test_every_crime_code_in_the_real_samples_maps(incidents_dir):
    seen: dict[str, set[str]] = {}
    for name, frame in _sample_frames(incidents_dir):
        for col in frame.columns:
            if _CODE_COLUMN.match(_norm(col)):
                values = frame[col].str.strip()
                values = values[~values.isin(["", "nan", "None", "NA"])]
                seen.setdefault(name, set()).update(values)
    assert sum(len(v) for v in seen.values()) > 100 and len(seen) >= 15
    unmapped = {
        name: sorted(c for c in cs if codes.lookup("legacy", c) is None)
        for name, cs in seen.items()
    }
    assert not any(unmapped.values()), unmapped
