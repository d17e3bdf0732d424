"""The inbound webhook's write: one statement stores a text, routed.

Every inbound text is a new row, and profiling the webhook showed each round
trip to the database, and the ORM building the INSERT, costing more than the
database's own work. So a single statement finds the BAY Number texted and
its agent's contact for the sender, inserts the text linked to both, and
leaves it unprocessed only when there is something to do: a consent keyword
or HELP (`needs_action`), or a first text from a phone the agent has no
contact for yet. `ON CONFLICT (twilio_sid) DO NOTHING` settles a repeated
delivery inside the statement, with no exception and no savepoint.

The statement is built once per process from the model's own fields, so it
keeps in step with the model; each call converts the values as the ORM would.
"""

from django.db import DEFAULT_DB_ALIAS, connections

from contacts.models import Contact
from messaging.models import BayNumber, Message

# Columns the statement fills from what it finds rather than from the message;
# processed_at's expression takes three values: whether the text asks for
# action, whether its sender is a phone, and the time it was done.
_ROUTED = {
    "bay_number_id": "(SELECT bay_number_id FROM route)",
    "contact_id": "(SELECT contact_id FROM route)",
    "processed_at": (
        "CASE WHEN EXISTS (SELECT 1 FROM route WHERE %s "
        "OR (%s AND contact_id IS NULL AND agent_id IS NOT NULL)) THEN NULL ELSE %s END"
    ),
}
_statements: dict[str, tuple[str, list]] = {}


def _statement(connection) -> tuple[str, list]:
    """This database's INSERT, and the message's fields in its column order."""
    if connection.vendor not in _statements:
        quote = connection.ops.quote_name
        meta = Message._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        values = [_ROUTED.get(field.column, "%s") for field in fields]
        returned = [meta.pk.column, *_ROUTED]
        sql = (
            "WITH route AS ("
            "SELECT b.id AS bay_number_id, b.agent_id, c.id AS contact_id "
            f"FROM {quote(BayNumber._meta.db_table)} b "
            f"LEFT JOIN {quote(Contact._meta.db_table)} c "
            "ON c.agent_id = b.agent_id AND c.phone = %s "
            "WHERE b.phone_number = %s) "
            f"INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(values)}) "
            f"ON CONFLICT ({quote(meta.get_field('twilio_sid').column)}) DO NOTHING "
            f"RETURNING {', '.join(quote(column) for column in returned)}"
        )
        _statements[connection.vendor] = (sql, fields)
    return _statements[connection.vendor]


def inbound_insert(message: Message, *, sender_phone: str | None, needs_action: bool) -> bool:
    """Store the inbound `message` (with its Twilio SID, and `processed_at`
    set to the time it is done) unless a text with that SID is stored.

    `sender_phone` is the sender's E.164 number, or None for a short code or
    other sender ID, whose texts are stored and never acted on. Returns True
    and fills in the message's id, BAY Number, contact and `processed_at`
    when it inserted; False, leaving `message` unsaved, for a repeat.
    """
    if not message.twilio_sid:
        raise ValueError("Only a text with a Twilio SID can be stored this way.")
    # The connection itself, not the proxy `django.db.connection`, which
    # would look it up again for each of the fields below.
    connection = connections[DEFAULT_DB_ALIAS]
    sql, fields = _statement(connection)
    is_phone = bool(sender_phone)
    params = [sender_phone or "", message.to_phone]
    for field in fields:
        if field.column == "processed_at":
            done = field.get_db_prep_save(message.processed_at, connection)
            params += [is_phone and needs_action, is_phone, done]
        elif field.column not in _ROUTED:
            params.append(field.get_db_prep_save(field.pre_save(message, True), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk, message.bay_number_id, message.contact_id, processed_at = row
    if processed_at is None:
        message.processed_at = None
    message._state.adding = False
    message._state.db = connection.alias
    return True
