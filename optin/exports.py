"""CSV files for audits: the brokerage's ledger and one phone's proof of
consent. Rows are produced one at a time, so a large ledger streams."""

import csv
import datetime
import json

# A spreadsheet runs a cell that starts with one of these as a formula, so
# free text (a contact's reply, a note) gets a leading apostrophe in CSV
# (OWASP "CSV injection"). The proof page shows every text exactly.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LEDGER_HEADER = [
    "event_id",
    "occurred_at_utc",
    "bay_number",
    "phone",
    "event_type",
    "old_state",
    "new_state",
    "source",
    "keyword",
    "message_sid",
    "raw_text",
    "acting_user_id",
    "acting_user",
    "note",
    "extra_data",
]
PROOF_HEADER = [
    "time_utc",
    "record",
    "id",
    "what",
    "source_or_status",
    "old_state",
    "new_state",
    "keyword",
    "twilio_sid",
    "text",
    "actor",
    "note_or_failure",
]


class _Echo:
    """A file-like object whose write returns what it was given."""

    def write(self, value):
        return value


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _utc(moment: datetime.datetime | None) -> str:
    return moment.astimezone(datetime.UTC).isoformat() if moment else ""


def csv_lines(header: list[str], rows):
    """Yield the CSV text of `header` then of each row, line by line."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def _actor(user) -> tuple[str, str]:
    if user is None:
        return "", ""
    return str(user.pk), safe_cell(user.display_name)


def ledger_row(event) -> list[str]:
    actor_id, actor = _actor(event.acting_user)
    return [
        str(event.pk),
        _utc(event.occurred_at),
        event.bay_number.phone_number,
        event.phone,
        event.event_type,
        event.old_state,
        event.new_state,
        event.source,
        safe_cell(event.keyword),
        event.message_sid,
        safe_cell(event.raw_text),
        actor_id,
        actor,
        safe_cell(event.extra_data.get("note", "")),
        json.dumps(event.extra_data, sort_keys=True, ensure_ascii=False),
    ]


def ledger_rows(events):
    """CSV rows of ledger events, fetched in chunks."""
    for event in events.iterator(chunk_size=2000):
        yield ledger_row(event)


def proof_row(entry) -> list[str]:
    if entry.event is not None:
        event = entry.event
        return [
            _utc(event.occurred_at),
            "ledger",
            str(event.pk),
            event.event_type,
            event.source,
            event.old_state,
            event.new_state,
            safe_cell(event.keyword),
            event.message_sid,
            safe_cell(event.raw_text),
            _actor(event.acting_user)[1],
            safe_cell(event.extra_data.get("note", "")),
        ]
    text = entry.message
    return [
        _utc(text.created_at),
        "text received" if text.direction == text.Direction.INBOUND else "text sent",
        str(text.pk),
        text.kind,
        text.status,
        "",
        "",
        "",
        text.twilio_sid or "",
        safe_cell(text.body),
        _actor(text.sent_by)[1],
        safe_cell(text.failure_reason),
    ]
