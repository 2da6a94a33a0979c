"""Phone numbers and e-mail addresses, read by the libraries that know them.

A phone is read by ``phonenumbers`` (Google's libphonenumber) the way people write it
in Poland ("71 345 67 89", "(71) 345-67-89", "601 234 567", "0048 …", "+48 …") and
stored as E.164 ("+48713456789"): one spelling per number, which exports, HSDS and
``tel:`` links use as it is. Pages show it back the Polish way ("71 345 67 89",
"601 234 567"), a foreign number in its international form ("+49 30 1234567").
A value stored before numbers were normalised, which the library cannot read,
is shown as it was written.

An e-mail address is read by ``email_validator``, the library WTForms' ``Email``
validator calls, without asking DNS (no network); its domain is stored in lower case.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberFormat

#: Numbers written without a country code are Polish.
REGION = "PL"
#: "tel. 71 …", "tel: 71 …": a prefix people write before a number.
TEL_PREFIX = re.compile(r"^\s*tel(?:efon)?\s*[.:]?\s*", re.IGNORECASE)


def phone_number(text: str) -> str:
    """The E.164 form of a phone number as people write it; ValueError if none.

    Letters are refused (the library would read "601 ABC DEF" as a keypad's digits),
    and so is a number the numbering plan does not know: "071 345 67 89" is
    *possible* by its length but would be stored as a wrong number.
    """
    number = _parsed(TEL_PREFIX.sub("", text))
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parsed(text: str) -> phonenumbers.PhoneNumber | None:
    if any(character.isalpha() for character in text):
        return None
    try:
        return phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None


def shown_phone(value) -> str:
    """A stored number as people write it: Polish ones nationally, others not.

    A value the library cannot read is shown as it was written.
    """
    text = str(value or "")
    number = _parsed(text)
    if number is None or not phonenumbers.is_valid_number(number):
        return text
    polish = phonenumbers.region_code_for_number(number) == REGION
    style = PhoneNumberFormat.NATIONAL if polish else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def phone_link(value) -> str:
    """A ``tel:`` URI of a stored number: E.164, or the digits as written."""
    text = str(value or "")
    try:
        return "tel:" + phone_number(text)
    except ValueError:
        return "tel:" + re.sub(r"[^\d+]", "", text)


def same_phone(before, after) -> bool:
    """Whether two stored values are the same number, however each was written."""
    try:
        return phone_number(str(before)) == phone_number(str(after))
    except ValueError:
        return before == after


def email_address(text: str) -> str:
    """The normalised address (domain in lower case); ValueError if it is none.

    Only the syntax is checked: no DNS query, so it works offline.
    """
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(text) from None


def same_email(before, after) -> bool:
    """Whether two stored addresses are the same, a domain's case aside."""
    try:
        return email_address(str(before)) == email_address(str(after))
    except ValueError:
        return before == after
