"""The caller lookup: customers found by number, phone, e-mail or name (typos included)."""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection, transaction
from django.db.models import Q

from ..models import Contact, Customer, fold_key, search_key

LOOKUP_MAX = 50  # customers shown; more tells the desk to narrow the search
TYPO_MIN_LENGTH = 5  # a word this long (as typed) may carry a one-letter typo
TYPO_CANDIDATES = 200  # rows the typo search checks, the most similar first
TYPO_SIMILARITY = 0.3  # pg_trgm word similarity a one-letter typo in a short name reaches
PHONE_PART_MIN_DIGITS = 6
_PHONE_CHARS = re.compile(r"^[+0-9 ()./-]+$")
_CUSTOMER_NUMBER = re.compile(r"^[1-9][0-9]{3,9}$")
_DOMAIN = re.compile(r"^@?((?:[\w-]+\.)+[a-z]{2,})$", re.IGNORECASE)


def normalise_phone(text: str) -> str | None:
    """A Swiss (or international) phone number in any writing, as E.164; else None."""
    if not text or not _PHONE_CHARS.match(text.strip()):
        return None
    if len(re.sub(r"\D", "", text)) < 9:
        return None
    try:
        number = phonenumbers.parse(text, "CH")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_part(text: str) -> str | None:
    """Part of a phone number ("511 49 49", "031 511") as the digits of its E.164 form
    would contain it ("031 511" → "4131511"); None when the text is no such part."""
    if not text or not _PHONE_CHARS.match(text.strip()):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < PHONE_PART_MIN_DIGITS:
        return None
    if text.strip().startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "41" + digits[1:]  # a Swiss national number
    return digits


@dataclass(frozen=True)
class LookupHit:
    customer: Customer
    contact: Contact | None = None  # the contact the caller was found by
    typo: bool = False  # found by a name with a one-letter difference


@dataclass(frozen=True)
class LookupResult:
    query: str
    kind: str  # number, phone, phone_part, email, email_domain, name or empty
    hits: list[LookupHit] = field(default_factory=list)
    more: bool = False  # more than LOOKUP_MAX matched: the desk should narrow the search

    @property
    def customers(self) -> list[Customer]:
        return [hit.customer for hit in self.hits]

    @property
    def single(self) -> Customer | None:
        return self.hits[0].customer if len(self.hits) == 1 else None

    @property
    def single_hit(self) -> LookupHit | None:
        return self.hits[0] if len(self.hits) == 1 else None


def customer_lookup(*, q: str) -> LookupResult:
    """Find customers by what a caller says or types, on the customer and its contacts.

    A customer number; a phone number in any Swiss writing, or part of one ("511 49 49");
    an e-mail address, or its domain ("meier-treuhand.ch"); or words of a name in any
    order, compared without case and accents and with German spellings folded ("Mueller"
    finds "Müller", "Strasse" finds "Straße"). Words of five letters or more also find
    names with one letter different, ranked after the exact matches (pg_trgm on
    PostgreSQL). Each hit names the contact it was found by, if any. At most
    ``LOOKUP_MAX`` customers, in a bounded number of queries (two to five).
    """
    q = (q or "").strip()[:200]
    if not q:
        return LookupResult(q, "")
    if _CUSTOMER_NUMBER.match(q):
        by_number = list(Customer.objects.filter(number=q)[:1])
        if by_number:
            return LookupResult(q, "number", [LookupHit(by_number[0])])
    phone = normalise_phone(q)
    if phone:
        return _search(q, "phone", Q(phone=phone))
    if "@" in q and not q.startswith("@"):
        exact = _search(q, "email", Q(email__iexact=q))
        return exact if exact.hits else _search(q, "email", Q(email__icontains=q))
    part = phone_part(q)
    if part:
        found = _search(q, "phone_part", Q(phone__contains=part))
        if found.hits:
            return found
    domain = _DOMAIN.match(q)
    if domain:
        name = domain.group(1)
        found = _search(
            q, "email_domain", Q(email__iendswith=f"@{name}") | Q(email__iendswith=f".{name}")
        )
        if found.hits:
            return found
    return _name_search(q)


def _search(q: str, kind: str, condition: Q) -> LookupResult:
    """Customers matching ``condition`` themselves or through a contact (two queries)."""
    customers = list(
        Customer.objects.filter(condition).order_by("name", "number")[: LOOKUP_MAX + 1]
    )
    contacts = list(
        Contact.objects.filter(condition)
        .select_related("customer")
        .order_by("customer__name", "customer__number", "name")[: LOOKUP_MAX + 1]
    )
    return _merge(
        q, kind, customers, contacts, more=max(len(customers), len(contacts)) > LOOKUP_MAX
    )


def _merge(q, kind, customers, contacts, *, more=False) -> LookupResult:
    """One hit per customer: found itself, or through its contact (when exactly one of its
    contacts matched, that one is the caller)."""
    hits: dict[int, LookupHit] = {c.pk: LookupHit(c) for c in customers}
    by_customer: dict[int, list[Contact]] = {}
    for contact in contacts:
        by_customer.setdefault(contact.customer_id, []).append(contact)
    for customer_id, found in by_customer.items():
        if customer_id in hits:
            continue
        hits[customer_id] = LookupHit(found[0].customer, found[0] if len(found) == 1 else None)
    ordered = sorted(hits.values(), key=lambda h: (h.customer.name.casefold(), h.customer.number))
    more = more or len(ordered) > LOOKUP_MAX
    return LookupResult(q, kind, ordered[:LOOKUP_MAX], more=more)


def _words(q: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", q) if w][:8]


def _word_condition(word: str) -> Q:
    """One word of the query: in the name without accents, or in its German folding."""
    return Q(name_key__contains=search_key(word)) | Q(fold_key__contains=fold_key(word))


def _name_search(q: str) -> LookupResult:
    words = _words(q)
    condition = Q()
    for word in words:
        condition &= _word_condition(word)
    exact = _search(q, "name", condition)
    hits = list(exact.hits)
    if not exact.more and any(len(w) >= TYPO_MIN_LENGTH for w in words):
        hits += _typo_hits(words, exclude={hit.customer.pk for hit in hits})
    whole = {fold_key(w) for w in words}

    def rank(hit: LookupHit) -> int:
        # Every word a whole word of the name ("Keller" in "Schreinerei Keller") before
        # parts of words ("Keller" in "Kellerhals"), and names with a typo last.
        if hit.typo:
            return 2
        key = hit.contact.fold_key if hit.contact else hit.customer.fold_key
        return 0 if whole <= set(key.split()) else 1

    hits.sort(key=lambda h: (rank(h), h.customer.name.casefold(), h.customer.number))
    return LookupResult(q, "name", hits[:LOOKUP_MAX], more=exact.more or len(hits) > LOOKUP_MAX)


def one_edit_apart(typed: str, word: str) -> bool:
    """True when ``typed`` becomes ``word`` by at most one letter changed, added, removed,
    or two neighbours swapped."""
    if typed == word:
        return True
    if abs(len(typed) - len(word)) > 1:
        return False
    start = 0
    while start < min(len(typed), len(word)) and typed[start] == word[start]:
        start += 1
    a, b = typed[start:], word[start:]
    return (
        a[1:] == b[1:]  # changed
        or a[1:] == b  # one letter too many
        or a == b[1:]  # one letter missing
        or (len(a) >= 2 and a[0] == b[1:2] and a[1] == b[0] and a[2:] == b[2:])  # swapped
    )


def _typo_pattern(word: str) -> str:
    """A regular expression for every spelling one edit away from ``word`` (SQLite)."""
    e = re.escape
    variants = set()
    for i in range(len(word) + 1):
        variants.add(e(word[:i]) + "." + e(word[i:]))  # a letter missing
        if i < len(word):
            variants.add(e(word[:i]) + "." + e(word[i + 1 :]))  # a letter changed
            variants.add(e(word[:i] + word[i + 1 :]))  # a letter too many
        if i < len(word) - 1:
            variants.add(e(word[:i] + word[i + 1] + word[i] + word[i + 2 :]))  # swapped
    return "|".join(sorted(variants))


def _typo_hits(words: list[str], *, exclude: set[int]) -> list[LookupHit]:
    """Customers whose name (or a contact's) has every long word of the query with at most
    one letter different, and every short word as it is.

    PostgreSQL finds the candidates with pg_trgm's word similarity through the GIN index
    (the threshold lowered for this query: a changed letter in a five-letter word leaves
    a similarity of about 0.33); SQLite with a regular expression of the one-edit
    spellings. Both are then checked letter by letter here.
    """
    postgres = connection.vendor == "postgresql"
    condition = Q()
    long_words = []
    for word in words:
        folded = fold_key(word)
        if len(word) < TYPO_MIN_LENGTH:
            condition &= _word_condition(word)
        elif postgres:
            long_words.append(folded)
            condition &= Q(fold_key__trigram_word_similar=folded)
        else:
            long_words.append(folded)
            condition &= Q(fold_key__regex=_typo_pattern(folded))

    def close(key: str) -> bool:
        names = key.split()
        return all(w in key or any(one_edit_apart(w, n) for n in names) for w in long_words)

    customers = Customer.objects.filter(condition).exclude(pk__in=exclude)
    contacts = (
        Contact.objects.filter(condition)
        .exclude(customer_id__in=exclude)
        .select_related("customer")
    )
    with transaction.atomic() if postgres else nullcontext():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                    [str(TYPO_SIMILARITY)],
                )
        found_customers = [
            c for c in customers.order_by("name", "number")[:TYPO_CANDIDATES] if close(c.fold_key)
        ]
        found_contacts = [
            c
            for c in contacts.order_by("customer__name", "name")[:TYPO_CANDIDATES]
            if close(c.fold_key)
        ]
    hits = {c.pk: LookupHit(c, typo=True) for c in found_customers}
    for contact in found_contacts:
        if contact.customer_id not in hits:
            hits[contact.customer_id] = LookupHit(contact.customer, contact, typo=True)
    return list(hits.values())
