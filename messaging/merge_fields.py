"""Merge fields in saved templates: {first_name} becomes the contact's name.

Only the fields below exist. Any other word in braces is refused when the
template is saved, so a typo never reaches a contact as "Hi {frist_name}".
Braces around anything that is not a word ("{ }", "{10%}") are plain text.
"""

import re

MERGE_FIELDS = {
    "first_name": "The contact's first name",
    "last_name": "The contact's last name",
    "agent_name": "Your name",
    "brokerage": "Your brokerage's name",
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


def unknown_fields(body: str) -> list[str]:
    """Return the placeholders in `body` that are not merge fields, in order."""
    found = (match.group(1) for match in _PLACEHOLDER.finditer(body))
    return list(dict.fromkeys(name for name in found if name not in MERGE_FIELDS))


def merge_values(*, contact, agent) -> dict[str, str]:
    """Return each merge field's value for one contact and the sending agent."""
    brokerage = getattr(agent, "brokerage", None)
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "agent_name": agent.display_name,
        "brokerage": brokerage.name if brokerage else "",
    }


def merge(body: str, values: dict[str, str]) -> str:
    """Fill in every known merge field of `body`; leave other text as it is."""

    def fill(match):
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return _PLACEHOLDER.sub(fill, body)
