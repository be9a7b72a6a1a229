"""English type evidence: which entity type a class noun, a name's last word or a verb frame implies.

The spaCy tagger guesses a type per mention; these tables let the parse vote too: "Darwin, the
city" (a class noun in apposition or after a copula), "Mr Clement" (an honorific), "Humboldt
University" (the name's last word), "Clement was born in ..." (a verb frame only people take).
"""

from __future__ import annotations


def words(text: str) -> list[str]:
    """A word list written as one string (long lexicons stay readable)."""
    return text.split()


PERSON, ORG, GPE, LOC, FAC = "PERSON", "ORG", "GPE", "LOC", "FAC"
WORK, PRODUCT, EVENT = "WORK_OF_ART", "PRODUCT", "EVENT"

_PLACE = words("""city town village country state county capital region province district municipality
suburb borough republic kingdom nation territory island metropolis settlement parish""")
_LOC = words("""river mountain lake sea ocean valley peninsula desert continent bay forest
range""")
_ORG = words("""company firm corporation bank group party club team university college school
institute academy agency organisation organization charity union council committee band
label newspaper magazine broadcaster network channel airline carrier manufacturer retailer
publisher studio association federation league society ministry department government
brand chain operator supplier giant conglomerate regulator court army navy
commission board foundation orchestra choir""")
_FAC = words("""airport stadium arena station hospital bridge building museum theatre theater
tower church cathedral castle palace hotel ground venue prison monument base port
headquarters""")
_WORK = words("""film movie book novel album song single play show series musical opera painting poem
documentary sitcom drama comedy programme game sequel prequel soundtrack""")
_PRODUCT = words(
    """car phone console device computer laptop aircraft plane ship vehicle software"""
)
_EVENT = words("""war election tournament championship festival olympics cup final""")
# Nouns for people (roles, jobs, relatives): an apposition or copula with one of them types a
# PERSON, and only these (with the classes above) make an ``is_a`` fact.
_PERSON = words("""person man woman boy girl child son daughter father mother brother sister wife
husband widow uncle aunt cousin relative friend player actor actress singer musician
writer author novelist poet journalist reporter editor presenter host director producer
composer artist painter architect designer engineer scientist mathematician physicist chemist
economist lawyer judge politician minister president chancellor premier secretary
ambassador diplomat leader chairman chairwoman chair founder owner boss chief executive ceo
manager coach captain striker midfielder defender goalkeeper keeper winger batsman bowler
champion athlete runner sprinter boxer cyclist golfer swimmer jockey driver pilot astronaut
soldier general officer commander spokesman spokeswoman spokesperson analyst adviser advisor
consultant expert professor lecturer teacher student graduate researcher doctor surgeon nurse
priest bishop archbishop pope king queen prince princess monarch emperor lord mayor governor
senator mp mep candidate member comedian dancer model star fan campaigner activist
entrepreneur businessman businesswoman banker investor trader employee worker official
inspector detective chef designer governator deputy vice speaker commissioner
representative delegate envoy negotiator critic supermodel hurdler cricketer footballer
rugby fly-half prop forward centre full-back skipper veteran rookie novice newcomer
singer-songwriter rapper guitarist drummer bassist pianist violinist conductor photographer
historian philosopher novelist playwright screenwriter filmmaker correspondent columnist
commentator pundit economist strategist chancellor treasurer""")
CLASS_TYPES: dict[str, str] = {
    **{w: PERSON for w in _PERSON},
    **{w: GPE for w in _PLACE},
    **{w: LOC for w in _LOC},
    **{w: ORG for w in _ORG},
    **{w: FAC for w in _FAC},
    **{w: WORK for w in _WORK},
    **{w: PRODUCT for w in _PRODUCT},
    **{w: EVENT for w in _EVENT},
}
# The last word of a name that says what it names ("Leningrad State University").
NAME_HEADS: dict[str, str] = {
    **{
        w: ORG
        for w in words("""university college institute academy school company corporation
    corp inc ltd plc group party club fc united bank records council committee association
    federation league society agency ministry department commission foundation trust
    airlines airways press times post news union""")
    },
    **{
        w: FAC
        for w in words("""airport stadium arena station hospital bridge tower museum theatre
    cathedral castle palace hotel park monument memorial hall building centre center airbase
    aerodrome""")
    },
    **{w: GPE for w in words("city county state province territory district borough")},
    **{w: EVENT for w in words("games olympics championships championship festival cup")},
    **{w: WORK for w in words("award awards prize prizes")},
    **{w: LOC for w in words("river lake mountain mountains sea ocean island islands valley")},
}
# "the city of Fawkham" names Fawkham (but "the capital of France" is a role).
NAMED_BY_OF = frozenset(
    words("city town village state county province region district municipality country island")
)
HONORIFICS = frozenset(
    words("""mr mrs ms miss dr sir dame lord lady prof professor rev reverend st""")
)
# Verbs (lemma, particle or preposition) whose subject is a person.
PERSON_VERBS = frozenset(
    words("""born die marry wed graduate retire resign tell sing star act coach captain
    team_with wear_down study_at study educate_at compose paint emigrate_to
    emigrate immigrate_to""")
)
# Prepositional frames whose object is a place.
PLACE_FRAMES = frozenset(
    words("""born_in die_in live_in locate_in located_in situated_in based_in headquartered_in
    raise_in grow_up_in reside_in""")
)


# Class nouns too loose to type a name on their own ("market leader Diageo", "rival Google"),
# though they still make an is_a fact.
NO_TYPE_VOTE = frozenset(
    words("""leader giant star champion winner member owner operator partner rival host model
    fan chief head boss group unit arm side""")
)
# Verbs that report speech: nothing but their object names a relation.
# Party and nationality words that may open a tagged person name ("Democrat Sarah Teather").
PARTY_WORDS = frozenset(
    words("""democrat democrats republican tory tories labour conservative liberal
    american british english french german scottish welsh irish""")
)
# Verbs too light to name a relation on their own.
LIGHT_VERBS = frozenset(words("do get go be"))
REPORTING = frozenset(words("say tell add claim state announce report insist argue warn"))


def class_type(lemma: str) -> str | None:
    """The entity type a class noun implies ("city" → GPE), or None."""
    return CLASS_TYPES.get(lemma.lower())


def name_type(words: list[str]) -> str | None:
    """The type a name's last word implies ("Humboldt University" → ORG), or None."""
    if len(words) < 2:
        return None
    return NAME_HEADS.get(words[-1].lower().strip("."))
