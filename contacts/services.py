"""Every change to an agent's contacts: add, edit, import."""

import dataclasses
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from contacts.importer import ContactDraft, RowProblem, parse_contacts_csv
from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, parse_contact_phone
from messaging.selectors import bay_numbers_among

logger = logging.getLogger(__name__)


def _duplicate_error(existing: Contact) -> ValidationError:
    return ValidationError(
        {"phone": f"You already have this number, as {existing.full_name}."}, code="duplicate"
    )


# A BAY Number texts contacts; as a contact itself it would text ClientBAY.
BAY_NUMBER_PROBLEM = "This is a BAY Number, which texts your contacts; it cannot be one of them."


def _checked_phone(*, agent, phone: str, contact: Contact | None = None) -> str:
    try:
        phone = parse_contact_phone(phone).e164
    except InvalidPhoneNumber as error:
        raise ValidationError({"phone": str(error)}, code="invalid") from None
    if bay_numbers_among([phone]):
        raise ValidationError({"phone": BAY_NUMBER_PROBLEM}, code="bay_number")
    existing = agent.contacts.filter(phone=phone).exclude(pk=getattr(contact, "pk", None)).first()
    if existing is not None:
        raise _duplicate_error(existing)
    return phone


@transaction.atomic
def contact_create(
    *, agent, first_name: str, last_name: str = "", phone: str, email: str = "", kind: str
) -> Contact:
    """Add a contact for the agent. `phone` is stored in E.164; one the agent
    already has is refused with ValidationError naming that contact."""
    phone = _checked_phone(agent=agent, phone=phone)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                agent=agent,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                phone=phone,
                email=email.strip(),
                kind=kind,
            )
    except IntegrityError:
        # Another request added the same phone between the check and the insert.
        raise _duplicate_error(agent.contacts.get(phone=phone)) from None
    logger.info("Agent %s added contact %s", agent.pk, contact.pk)
    return contact


@transaction.atomic
def contact_update(
    *,
    agent,
    contact: Contact,
    first_name: str,
    last_name: str = "",
    phone: str,
    email: str = "",
    kind: str,
) -> Contact:
    """Change the agent's own contact; same phone rules as `contact_create`.

    A new phone clears the "cannot take texts" mark Twilio set on the old one.
    """
    if contact.agent_id != agent.pk:
        raise PermissionDenied("That contact is not yours.")
    phone = _checked_phone(agent=agent, phone=phone, contact=contact)
    if phone != contact.phone:
        contact.invalid_phone_reason = ""
    contact.first_name, contact.last_name = first_name.strip(), last_name.strip()
    contact.phone, contact.email, contact.kind = phone, email.strip(), kind
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise _duplicate_error(agent.contacts.get(phone=phone)) from None
    logger.info("Agent %s changed contact %s", agent.pk, contact.pk)
    return contact


@dataclasses.dataclass
class ImportReport:
    """What an import did: how many it added, and each row it did not take
    (`skipped`) or took with a change (`warnings`), with the reason."""

    created: int = 0
    rows: int = 0
    skipped: list[RowProblem] = dataclasses.field(default_factory=list)
    warnings: list[RowProblem] = dataclasses.field(default_factory=list)


def _drop_existing(agent, drafts: list[ContactDraft], report: ImportReport) -> list[ContactDraft]:
    """The drafts to add: not a phone the agent has, nor a BAY Number."""
    bay_numbers = bay_numbers_among(draft.phone for draft in drafts)
    existing = {
        contact.phone: contact
        for contact in agent.contacts.filter(phone__in=[draft.phone for draft in drafts]).only(
            "phone", "first_name", "last_name"
        )
    }
    fresh = []
    for draft in drafts:
        if draft.phone in existing:
            report.skipped.append(
                draft.problem(f"Already in your contacts, as {existing[draft.phone].full_name}.")
            )
        elif draft.phone in bay_numbers:
            report.skipped.append(draft.problem(BAY_NUMBER_PROBLEM))
        else:
            fresh.append(draft)
    return fresh


@transaction.atomic
def contacts_import(*, agent, data: bytes) -> ImportReport:
    """Add the contacts of a CSV file for the agent, and report every row.

    Phones are normalised to E.164. A row is skipped, with its reason, when
    it has no usable phone or name, repeats a phone of an earlier row, or
    holds a phone the agent already has: an import never duplicates a phone.
    Raises ValidationError when the file as a whole cannot be read.
    """
    parsed = parse_contacts_csv(data)
    report = ImportReport(rows=parsed.rows, skipped=parsed.problems)
    fresh = _drop_existing(agent, parsed.drafts, report)
    # A warning matters only for a row that was taken.
    taken = {draft.row for draft in fresh}
    report.warnings = [warning for warning in parsed.warnings if warning.row in taken]
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(
                [draft.to_contact(agent) for draft in fresh], batch_size=500
            )
    except IntegrityError:
        raise ValidationError(
            "Some of these numbers were added while the file was being imported. "
            "Import it again: rows already added will be skipped."
        ) from None
    report.created = len(fresh)
    report.skipped.sort(key=lambda problem: problem.row)
    logger.info(
        "Agent %s imported %s contacts (%s rows skipped)",
        agent.pk,
        report.created,
        len(report.skipped),
    )
    return report
