"""Typed relations read off an English dependency parse, each with a confidence.

Patterns (an argument is a named entity, a literal object (date, quantity) or, for ``is_a``, a class
noun typed ``CONCEPT``; a pronoun stands for the entity it refers to):

- subject-verb-object: "Microsoft acquired GitHub" → (Microsoft, acquire, GitHub); a particle joins
  the lemma ("set_up", "wear_down"); passives with an agent turn active ("was produced by X").
- verb + preposition: "Hailey emigrated to Canada" → emigrate_to; a passive keeps the participle
  ("Siemens is based in Munich" → based_in, "born on <date>" → born_on).
- copula: "Apple is a technology company" → is_a (only when the noun is a known class: a place,
  organisation, work, person role ...); "X is the CEO of Y" → ceo_of; "X is a city in Y" →
  located_in; "The population density of X is 1604" → have_population_density.
- apposition: "Tim Cook, the CEO of Apple" → ceo_of (+ is_a CEO); "Small Island, Levy's novel" →
  novel_of; participles on the noun attach to the entity ("a company located in Sao Paulo").
- role words before a name: "Apple CEO Tim Cook" → ceo_of; "Pakistan's ally China" → ally_of.
- attributes: "X has a runtime of 83 minutes" → have_runtime.

Nothing is typed from a negated verb, a question, or an attempt ("tried to buy"); modal verbs and
conditionals lower the confidence, and relations under ``MIN_CONFIDENCE`` are left as co-occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from kg.entity_types import (
    CLASS_TYPES,
    HONORIFICS,
    LIGHT_VERBS,
    NAMED_BY_OF,
    PERSON,
    REPORTING,
    words,
)
from kgsynth.types import Mention

IS_A = "is_a"
CONCEPT = "CONCEPT"
LITERAL_TYPES = frozenset({"DATE", "QUANTITY"})
MIN_CONFIDENCE = 0.5
ROLE_PREPS = frozenset({"of", "at", "for"})
PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
MODALS = frozenset({"could", "might", "may", "would", "should", "must", "can"})
ATTEMPTS = frozenset(
    words("""try want plan hope seek aim threaten attempt expect refuse fail intend wish consider
    propose offer decide agree promise""")
)
# Nouns that name the slot, not the role: "X is the name of the ground of Y" → ground_of.
SLOT_NOUNS = frozenset({"name", "one", "home"})
COME_FROM = "come_from"
DATE_PREPS = frozenset({"in", "on", "at", "since"})
NOT_ROLES = frozenset({"one", "some", "many", "all", "most", "each", "any", "none", "both"})
_PRED_CHARS = re.compile(r"[^a-z0-9]+")

Found = tuple[Mention, str, Mention, float]


def predicate(*parts: str) -> str:
    """A snake_case predicate from words ("set", "up") → "set_up"; "co-chairman" → "co_chairman"."""
    return _PRED_CHARS.sub("_", "_".join(p.lower() for p in parts if p)).strip("_")


def is_literal(m: Mention) -> bool:
    return m.type in LITERAL_TYPES


def _quoted(token) -> bool:
    """Inside quotation marks (an odd number of them before the token in its sentence)."""
    marks = sum(1 for t in token.sent if t.i < token.i and t.text in ('"', "“", "”", "``", "''"))
    return marks % 2 == 1


def _has_unit(m: Mention) -> bool:
    """A date, or an amount with a unit ("83 minutes", "$9.3bn"), not a bare number ("top 10")."""
    return m.type == "DATE" or bool(re.search(r"[A-Za-z%$£€]", m.text))


def _negated(token) -> bool:
    return any(c.dep_ == "neg" or c.lower_ == "not" for c in token.children) or (
        token.i > 0 and token.nbor(-1).lower_ == "not"
    )


def _is_passive(verb) -> bool:
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)


class RelationReader:
    """Reads relation patterns off one sentence; `arg` maps a token to its argument mention."""

    def __init__(
        self,
        arg: Callable[[object], Mention | None],
        concept: Callable[[object], Mention | None],
        lemma: Callable[[object], str],
    ):
        self.arg = arg
        self.concept = concept
        self.lemma = lemma

    def read(self, sent) -> Iterator[Found]:
        if sent.text.rstrip().endswith("?"):
            return
        headline = not sent.text.rstrip().endswith((".", "!", '"', "'", "”", ")"))
        for found in self._patterns(sent):
            s, pred, o, conf = found
            if s is o or s.text.lower() == o.text.lower() or is_literal(s):
                continue
            if s.type in ("NORP", CONCEPT):
                continue
            if headline:
                if pred == IS_A:
                    continue
                conf *= 0.8
            if conf >= MIN_CONFIDENCE:
                yield s, pred, o, round(conf, 2)

    def _patterns(self, sent) -> Iterator[Found]:
        for tok in sent:
            # a verb inside a name ("Die Zauberflöte", "Gone with the Wind") is no predicate
            if tok.pos_ in ("VERB", "AUX") and not tok.ent_type_:
                if self.lemma(tok) == "be":
                    yield from self._copula(tok)
                elif self.lemma(tok) == "have":
                    yield from self._have(tok)
                    yield from self._verb(tok)
                else:
                    yield from self._verb(tok)
            if tok.dep_ == "appos":
                yield from self._appos(tok.head, tok)
                yield from self._place_in_place(tok.head, tok)
            if tok.dep_ == "acl" and tok.pos_ == "VERB" and (x := self.arg(tok.head)) is not None:
                yield from self._attached([x], tok)
            if tok.dep_ == "poss":
                yield from self._possessive(tok)
            if tok.dep_ == "prep" and tok.lower_ == "of" and tok.head.pos_ == "PROPN":
                x = self.arg(tok.head)
                if x is not None and x.type == PERSON:  # "Francis Obikwelu of Portugal"
                    for y in self._pobjs(tok):
                        if y.type == "GPE":
                            yield x, COME_FROM, y, 0.75
            if tok.dep_ == "compound" and (
                tok.pos_ == "NOUN" or (tok.pos_ == "PROPN" and tok.lower_ in CLASS_TYPES)
            ):
                yield from self._role_before_name(tok)

    # ------------------------------------------------------------ verbs

    def _certainty(self, verb) -> float:
        """1.0 for a plain statement; lower for modals and conditionals; 0 for negation/attempts."""
        conf = 1.0
        chain = [verb]
        while chain[-1].dep_ in ("xcomp", "conj", "ccomp") and chain[-1].head is not chain[-1]:
            chain.append(chain[-1].head)
            if len(chain) > 4:
                break
        for i, v in enumerate(chain):
            kids = list(v.children)
            if any(c.dep_ == "neg" for c in kids) and (i == 0 or chain[i - 1].dep_ == "xcomp"):
                return 0.0
            if any(c.dep_ == "aux" and c.lower_ in MODALS for c in kids):
                conf *= 0.5
            if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in kids):
                conf *= 0.5
            if i > 0 and chain[i - 1].dep_ == "xcomp" and self.lemma(v) in ATTEMPTS:
                return 0.0
        if verb.dep_ == "advcl" and any(c.lower_ == "if" for c in verb.children):
            conf *= 0.5
        if any(c.dep_ == "aux" and c.lower_ in ("will", "shall", "'ll") for c in verb.children):
            conf *= 0.7  # a plan, not yet a fact
        if _quoted(verb):
            conf *= 0.7  # someone's words: "... will take Britain backwards," he said
        return conf

    def _subjects(self, verb, deps: tuple[str, ...]) -> list:
        subs = [c for c in verb.children if c.dep_ in deps]
        own = any(c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") for c in verb.children)
        if not own and verb.dep_ == "advcl" and verb.tag_ in ("VBN", "VBG"):
            # "Born in Rochdale, Bill Oddie ...": the participle describes the main subject
            if ("nsubjpass" in deps) == (verb.tag_ == "VBN"):
                return [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
            return []
        if not own and verb.dep_ == "xcomp" and any(c.dep_ == "dobj" for c in verb.head.children):
            return []  # "asking bloggers to dedicate their sites": the bloggers dedicate
        if not own and verb.dep_ in ("xcomp", "conj") and verb.head.pos_ in ("VERB", "AUX"):
            inherited = ("nsubj", "nsubjpass")  # active or passive: this verb's own form decides
            passive = any(c.dep_ == "auxpass" for c in verb.children) or (
                verb.tag_ == "VBN" and verb.dep_ == "conj" and _is_passive(verb.head)
            )
            if ("nsubjpass" in deps) != passive:
                return []
            subs = [c for c in verb.head.children if c.dep_ in inherited]
            if not subs and verb.head.dep_ == "relcl":
                return [verb.head.head]
        out = []
        for s in subs:
            if s.tag_ in ("WDT", "WP") and verb.dep_ == "relcl":
                out.append(verb.head)  # "X and Y, who is ..." describes Y only
            else:
                out += [s, *s.conjuncts]
        return out

    def _args(self, tokens) -> list[Mention]:
        """Argument mentions of tokens; "in Manchester and not Blackpool" drops Blackpool."""
        return [m for t in tokens if (m := self.arg(t)) is not None and not _negated(t)]

    @staticmethod
    def _either(token) -> bool:
        """ "X, Y or Z": one of them, not each."""
        return any(
            c.dep_ == "cc" and c.lower_ == "or"
            for t in (token, *token.conjuncts)
            for c in t.children
        )

    def _pobjs(self, prep) -> list[Mention]:
        """Objects of a preposition: names and their conjuncts, "Sao Paulo, Brazil" (both),
        "the city of Fawkham" (Fawkham)."""
        out: list[Mention] = []
        for o in (c for c in prep.children if c.dep_ == "pobj"):
            for t in (o, *o.conjuncts):
                m = self.arg(t)
                if m is None and t.pos_ == "NOUN" and t.lower_ in NAMED_BY_OF:
                    of = [c for c in t.children if c.dep_ == "prep" and c.lower_ == "of"]
                    out += [x for p in of for x in self._pobjs(p) if x.type in PLACE_TYPES]
                    continue
                if m is None:
                    continue
                out.append(m)
                if m.type in PLACE_TYPES:
                    for a in (c for c in t.children if c.dep_ == "appos"):
                        if (y := self.arg(a)) is not None and y.type in PLACE_TYPES:
                            out.append(y)
        return out

    def _verb(self, verb, subjects: list[Mention] | None = None) -> Iterator[Found]:
        """Verb patterns; `subjects` stand in for a relative pronoun ("a film that runs ...")."""
        conf = self._certainty(verb)
        if conf == 0.0:
            return
        prt = next((c.text for c in verb.children if c.dep_ == "prt"), "")
        active = self._args(self._subjects(verb, ("nsubj",)))
        passive = self._args(self._subjects(verb, ("nsubjpass",)))
        if subjects is not None:
            relative = [c for c in verb.children if c.tag_ in ("WDT", "WP")]
            if not relative:
                return
            active, passive = (subjects, []) if relative[0].dep_ == "nsubj" else ([], subjects)
        lemma = self.lemma(verb)
        if lemma in LIGHT_VERBS and not prt:
            return
        base = predicate(lemma, prt)
        children = list(verb.children)
        if not any(
            c.dep_ in ("prep", "dobj", "agent") for c in children
        ):  # "written and directed by"
            shared = ("prep", "agent")
            children += [
                p for c in children if c.dep_ == "conj" for p in c.children if p.dep_ in shared
            ]
        for child in children:
            if child.dep_ in ("dobj", "dative") and active:
                for o in self._args([child, *child.conjuncts]):
                    if not is_literal(o):
                        yield from ((s, base, o, 0.9 * conf) for s in active)
            elif child.dep_ == "agent" and passive:
                for o in self._pobjs(child):
                    if not is_literal(o):
                        yield from ((o, base, s, 0.9 * conf) for s in passive)
            elif child.dep_ == "prep" and self.arg(child) is None:  # not "on" in "Death on a Farm"
                objs = self._pobjs(child)
                pobj = [c for c in child.children if c.dep_ == "pobj"]
                if pobj and self._either(pobj[0]):
                    continue
                if child.lower_ == "as" and not objs:
                    objs = [c for o in child.children if (c := self._role_concept(o))]
                if lemma in REPORTING:  # "said in 2004", "said as home secretary"
                    objs = [o for o in objs if not is_literal(o) and o.type != CONCEPT]
                if child.lower_ == "as":  # "launched X as Y": only a role, never a name
                    objs = [o for o in objs if o.type == CONCEPT]
                objs = [o for o in objs if not is_literal(o) or _has_unit(o)]
                if child.lower_ not in DATE_PREPS:  # "projecting growth for 2005"
                    objs = [o for o in objs if o.type != "DATE"]
                for o in objs:
                    pred = predicate(lemma, prt, child.text)
                    yield from ((s, pred, o, 0.8 * conf) for s in active)
                    pred = predicate(verb.text, prt, child.text)
                    yield from ((s, pred, o, 0.8 * conf) for s in passive)

    def _role_concept(self, noun) -> Mention | None:
        """ "worked as a fighter pilot": a person-role class noun as the object of "as"."""
        if noun.dep_ == "pobj" and CLASS_TYPES.get(self.lemma(noun).lower()) == PERSON:
            return self.concept(noun)
        return None

    def _attached(self, subjects: list[Mention], verb) -> Iterator[Found]:
        """X, based in Y → (X, based_in, Y); X, born on <date> → born_on."""
        conf = self._certainty(verb)
        for prep in (c for c in verb.children if c.dep_ == "prep"):
            for y in self._pobjs(prep):
                pred = predicate(verb.text, prep.text)
                yield from ((x, pred, y, 0.8 * conf) for x in subjects)
        for agent in (c for c in verb.children if c.dep_ == "agent"):
            for y in self._pobjs(agent):
                if not is_literal(y):
                    for x in subjects:
                        if not is_literal(x):  # "the $204m announced by Google"
                            yield y, self.lemma(verb), x, 0.8 * conf
        if verb.tag_ == "VBG":  # "Super Capers, starring Michael Rooker"
            for obj in (c for c in verb.children if c.dep_ == "dobj"):
                for y in self._args([obj, *obj.conjuncts]):
                    if not is_literal(y):
                        yield from ((x, self.lemma(verb), y, 0.8 * conf) for x in subjects)

    def _have(self, verb) -> Iterator[Found]:
        """X has a runtime of 83 minutes → (X, have_runtime, 83 minutes)."""
        conf = self._certainty(verb)
        subjects = self._args(self._subjects(verb, ("nsubj",)))
        for noun in (c for c in verb.children if c.dep_ == "dobj" and c.pos_ == "NOUN"):
            for prep in (c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"):
                for q in self._pobjs(prep):
                    if is_literal(q):
                        pred = predicate("have", *self._noun_words(noun))
                        yield from ((s, pred, q, 0.8 * conf) for s in subjects)

    # ------------------------------------------------------------ nouns

    def _noun_words(self, noun) -> list[str]:
        """ "key person" → [key, person]: compounds and adjectives before the noun, no numbers."""
        words = [
            c.lower_
            for c in noun.lefts
            if c.dep_ in ("compound", "amod")
            and self.arg(c) is None
            and not c.like_num
            and c.ent_type_ not in ("ORDINAL", "CARDINAL")
        ]
        return [*words, self.lemma(noun)]

    def _roles(self, noun) -> list[tuple[str, Mention]]:
        """(role_of, Y) for "CEO of Y", "Y's CEO", "the name of the ground of Y" (ground_of)."""
        name = predicate(*self._noun_words(noun))
        out: list[tuple[str, Mention]] = []
        if self.lemma(noun).lower() in NOT_ROLES:
            return out
        for c in noun.children:
            if c.dep_ == "prep" and c.lower_ in ROLE_PREPS:
                objs = self._pobjs(c)
                if not objs and self.lemma(noun) in SLOT_NOUNS and c.lower_ == "of":
                    inner = [o for o in c.children if o.dep_ == "pobj" and o.pos_ == "NOUN"]
                    for o in inner:
                        out += self._roles(o)
                out += [(predicate(name, c.lower_), m) for m in objs if not is_literal(m)]
            elif c.dep_ == "poss" and (m := self.arg(c)) is not None and not is_literal(m):
                out.append((predicate(name, "of"), m))
        return out

    def _describe(
        self, subjects: list[Mention], noun, conf: float, named: bool = False
    ) -> Iterator[Found]:
        """X is/was (the) NOUN [of Y] [in Y]: roles, is_a a class noun, and what hangs off it
        (`named`: the noun is known to stand for the subject, "the CEO of Apple, Tim Cook")."""
        if not subjects or (self.arg(noun) is not None and not named):
            return
        roles = self._roles(noun)
        for pred, y in roles:
            yield from ((s, pred, y, 0.85 * conf) for s in subjects)
        cls = CLASS_TYPES.get(self.lemma(noun).lower())
        if cls == PERSON and roles:
            pass  # "the CEO of Apple" says more than is_a CEO
        elif noun.tag_ == "NNS" and len(subjects) < 2:
            pass  # "G7 nations, in particular the US": one name is no plural class
        elif cls is not None and (concept := self.concept(noun)) is not None:
            for s in subjects:
                if cls != PERSON or s.type == PERSON:
                    yield s, IS_A, concept, 0.8 * conf
        if cls is not None and cls != PERSON:
            for prep in (c for c in noun.children if c.dep_ == "prep" and c.lower_ == "in"):
                for y in self._pobjs(prep):
                    if y.type in PLACE_TYPES:
                        yield from ((s, "located_in", y, 0.7 * conf) for s in subjects)
        for verb in (c for c in noun.children if c.dep_ in ("acl", "relcl") and c.pos_ == "VERB"):
            if verb.dep_ == "acl":
                yield from self._attached(subjects, verb)
            elif cls is not None:
                yield from self._verb(verb, subjects)

    def _copula(self, be) -> Iterator[Found]:
        conf = self._certainty(be)
        if conf == 0.0:
            return
        subj_tokens = self._subjects(be, ("nsubj",))
        subjects = self._args(subj_tokens)
        for attr in (c for c in be.children if c.dep_ in ("attr", "acomp")):
            if attr.pos_ in ("NOUN", "PROPN") and attr.dep_ == "attr":
                yield from self._describe(subjects, attr, conf)
            for prep in (c for c in attr.children if c.dep_ == "prep"):
                if attr.pos_ == "ADJ" or self.lemma(attr) == "part":
                    for y in self._pobjs(prep):
                        pred = predicate(attr.lower_, prep.lower_)
                        yield from ((s, pred, y, 0.75 * conf) for s in subjects)
        for prep in (c for c in be.children if c.dep_ == "prep"):
            if prep.lower_ in ("in", "at", "near", "from"):
                for y in (y for y in self._pobjs(prep) if y.type in PLACE_TYPES):
                    for s in subjects:  # a person "is in Paris" for now; "is from Spain" for good
                        if prep.lower_ == "from" and s.type == PERSON and y.type == "GPE":
                            yield s, COME_FROM, y, 0.7 * conf
                        elif prep.lower_ != "from" and s.type != PERSON:
                            yield s, "located_in", y, 0.7 * conf
        yield from self._attribute(be, subj_tokens, conf)

    def _attribute(self, be, subj_tokens, conf: float) -> Iterator[Found]:
        """The NOUN of X is Q → (X, have_noun, Q); X's NOUN is Q likewise. With a name instead
        of a value it is a role: "Chinabank's location is the Philippines" → location_of."""
        values = [self.arg(c) for c in be.children if c.dep_ in ("attr", "acomp")]
        values = [v for v in values if v is not None]
        for noun in subj_tokens:
            if noun.pos_ != "NOUN" or self.arg(noun) is not None:
                continue
            for pred, x in self._roles(noun):
                for y in values:
                    if not is_literal(y) and y is not x:
                        yield y, pred, x, 0.75 * conf
        values = [v for v in values if is_literal(v)]
        if not values:
            return
        for noun in subj_tokens:
            if noun.pos_ != "NOUN":
                continue
            owners = [
                m
                for c in noun.children
                if c.dep_ == "prep" and c.lower_ == "of"
                for m in self._pobjs(c)
            ]
            owners += [m for c in noun.children if c.dep_ == "poss" for m in self._args([c])]
            pred = predicate("have", *self._noun_words(noun))
            for x in owners:
                yield from ((x, pred, v, 0.8 * conf) for v in values)

    def _appos(self, head, appos) -> Iterator[Found]:
        """ "Tim Cook, the CEO of Apple" and "the CEO of Apple, Tim Cook" (the noun names him)."""
        between = head.doc[min(head.i, appos.i) + 1 : max(head.i, appos.i)]
        if any(t.text in ("-", "–", "—", ":", ";") for t in between):
            return  # a dash or colon joins clauses, not a name and its description
        hx, ax = self.arg(head), self.arg(appos)
        if hx is not None and ax is None:
            yield from self._describe([hx], appos, 1.0)
        elif ax is not None and (hx is None or (hx is ax and head.pos_ == "NOUN")):
            yield from self._describe([ax], head, 1.0, named=True)

    def _place_in_place(self, head, appos) -> Iterator[Found]:
        """ "Karlsruhe, Germany" → (Karlsruhe, located_in, Germany)."""
        x, y = self.arg(head), self.arg(appos)
        if x is None or y is None or x is y or appos.i != head.i + 2:
            return
        if x.type in ("GPE", "FAC") and y.type == "GPE" and head.nbor(1).text == ",":
            yield x, "located_in", y, 0.75

    def _possessive(self, owner) -> Iterator[Found]:
        """Y's CEO X (compound or modifier of X) → (X, ceo_of, Y); Pakistan's ally China likewise;
        Sweden's Carolina Kluft → (Carolina Kluft, come_from, Sweden)."""
        noun = owner.head
        y, x = self.arg(owner), self.arg(noun)
        if y is not None and x is not None and x is not y and x.type == PERSON and y.type == "GPE":
            yield x, COME_FROM, y, 0.75
            return
        if noun.pos_ != "NOUN" or self.arg(owner) is None:
            return
        direct = self.arg(noun)  # a class noun with an apposition stands for that name
        targets = []
        if noun.dep_ in ("compound", "nmod") and (x := self.arg(noun.head)) is not None:
            targets.append(x)
        targets += [x for c in noun.children if c.dep_ == "appos" and (x := self.arg(c))]
        for x in targets:
            if direct in (None, x):
                for pred, y in self._roles(noun):
                    yield x, pred, y, 0.85

    def _role_before_name(self, role) -> Iterator[Found]:
        """Apple CEO Tim Cook / race director Matthew Turnbull: role words right before a name."""
        doc = role.doc
        if role.i + 2 >= len(doc) or self.arg(role) is not None:
            return
        after = doc[role.i + 1]
        if after.lower_.rstrip(".") in HONORIFICS:  # "chairman Mr Greenspan"
            after = doc[role.i + 2]
        x = self.arg(after)
        if x is None or self.arg(role.head) is not x:
            return
        cls = CLASS_TYPES.get(self.lemma(role).lower())
        if cls is None or (cls == PERSON) != (x.type == PERSON):
            return
        first = role.i
        while first > role.sent.start:
            prev = doc[first - 1]
            if self.arg(prev) is not None or prev.pos_ not in ("NOUN", "ADJ") or prev.is_title:
                break
            first -= 1
        words = [t.lower_ for t in doc[first : role.i]] + [self.lemma(role)]
        name = predicate(*words)
        owner = self.arg(doc[first - 1]) if first > role.sent.start else None
        if owner is None and first - 2 >= role.sent.start and doc[first - 1].tag_ == "POS":
            owner = self.arg(doc[first - 2])
        if owner is not None and doc[first - 1].pos_ == "ADJ":
            owner = None  # "British hurdler": a nationality, not an employer
        if owner is not None and owner is not x and not is_literal(owner):
            yield x, predicate(name, "of"), owner, 0.8
            return
        plural_ok = role.tag_ != "NNS" or role.head.conjuncts  # "novelists Kunzru and Smith"
        if owner is None and plural_ok and (concept := self.concept(role)) is not None:
            yield x, IS_A, concept, 0.75
