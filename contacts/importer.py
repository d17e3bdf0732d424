"""Read a spreadsheet's CSV export of contacts, row by row, saying why any
row cannot be taken.

Files come from phones, CRMs and spreadsheets: UTF-8 with or without a byte
order mark, UTF-16 with one (Excel's "Unicode Text"), or Windows-1252;
commas, semicolons or tabs; headers such as
"First Name", "Mobile" or "E-mail". Phones go through `contacts.phones`, so
every format it reads is read here, an extension is dropped with a warning,
and a number a spreadsheet turned into "2.02555E+09" is refused with a hint.
"""

import codecs
import csv
import dataclasses
import io
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, e164_or_none, parse_contact_phone

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# Header spellings, lower-cased with everything but letters and digits removed.
HEADERS = {
    "first_name": {"firstname", "first", "givenname", "fname"},
    "last_name": {"lastname", "last", "surname", "familyname", "lname"},
    "name": {"name", "fullname", "contactname", "contact"},
    "phone": {
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "cellnumber",
        "tel",
        "telephone",
        "primaryphone",
        "number",
    },
    "email": {"email", "emailaddress", "mail"},
    "kind": {"kind", "type", "contacttype"},
}
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
# Spreadsheets keep leading zeros by writing ="0123" or '0123.
_FORMULA_TEXT = re.compile(r'^="(.*)"$')


@dataclasses.dataclass(frozen=True)
class RowProblem:
    """One row that was skipped, or taken with a change, and why."""

    row: int
    name: str
    phone: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ContactDraft:
    row: int
    first_name: str
    last_name: str
    phone: str
    raw_phone: str
    email: str
    kind: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def problem(self, reason: str) -> RowProblem:
        return RowProblem(row=self.row, name=self.name, phone=self.raw_phone, reason=reason)

    def to_contact(self, agent) -> Contact:
        return Contact(
            agent=agent,
            first_name=self.first_name,
            last_name=self.last_name,
            phone=self.phone,
            email=self.email,
            kind=self.kind,
        )


@dataclasses.dataclass
class ParsedFile:
    rows: int = 0
    drafts: list[ContactDraft] = dataclasses.field(default_factory=list)
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    warnings: list[RowProblem] = dataclasses.field(default_factory=list)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is over {MAX_BYTES // (1024 * 1024)} MB; split it.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" and some CRMs save UTF-16, which marks
        # itself with a byte-order mark.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationError(
                "The file starts as UTF-16 text but is not; save it again as CSV UTF-8."
            ) from None
    if b"\x00" in data[:8192]:
        # A spreadsheet saved as .xlsx or .numbers is binary, not CSV.
        raise ValidationError(
            "This is not a CSV file. In your spreadsheet, choose Save As (or Export) and CSV."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in Windows-1252; latin-1 reads any byte.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _reader(text: str):
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _columns(header: list[str]) -> dict[str, int]:
    columns = {}
    for index, title in enumerate(header):
        key = re.sub(r"[^a-z0-9]", "", title.lower())
        for field, spellings in HEADERS.items():
            if key in spellings and field not in columns:
                columns[field] = index
    if "phone" not in columns:
        raise ValidationError(
            "The file has no phone column. Title one column Phone (or Mobile, or Cell)."
        )
    if not {"first_name", "last_name", "name"} & columns.keys():
        raise ValidationError("The file has no name column. Title one First name, or Name.")
    return columns


def _clean_phone(text: str) -> str:
    text = text.strip()
    match = _FORMULA_TEXT.match(text)
    if match:
        text = match.group(1)
    return text.lstrip("'").strip()


def _names(cells: dict[str, str]) -> tuple[str, str]:
    first, last = cells.get("first_name", ""), cells.get("last_name", "")
    if not first and not last and cells.get("name"):
        name = cells["name"].strip()
        if name.count(",") == 1:
            # "Doe, Jane": family name first, as many address books export.
            last, _, first = name.partition(",")
        else:
            first, _, last = name.partition(" ")
    if not first:
        first, last = last, ""
    return first.strip()[:100], last.strip()[:100]


def _phone(raw: str) -> tuple[str, str]:
    """Return the E.164 phone and any extension dropped, or raise
    InvalidPhoneNumber with the reason to report."""
    if not raw:
        raise InvalidPhoneNumber("No phone number.")
    if _SCIENTIFIC.match(raw):
        raise InvalidPhoneNumber(
            f"{raw} lost its digits in a spreadsheet. Format the phone column as text "
            "and export it again."
        )
    parsed = parse_contact_phone(raw)
    return parsed.e164, parsed.extension


def _email(raw: str) -> str:
    validate_email(raw)
    return raw


def _read_row(number: int, cells: dict[str, str], parsed: ParsedFile, seen: dict) -> None:
    first, last = _names(cells)
    raw_phone = _clean_phone(cells.get("phone", ""))
    name = f"{first} {last}".strip()
    try:
        phone, extension = _phone(raw_phone)
    except InvalidPhoneNumber as error:
        parsed.problems.append(RowProblem(number, name, raw_phone, str(error)))
        return
    if not first:
        parsed.problems.append(RowProblem(number, name, raw_phone, "No name."))
        return
    if phone in seen:
        parsed.problems.append(
            RowProblem(number, name, raw_phone, f"Same number as row {seen[phone]}.")
        )
        return
    seen[phone] = number

    email = cells.get("email", "").strip()
    if email:
        try:
            email = _email(email)
        except ValidationError:
            parsed.warnings.append(
                RowProblem(number, name, raw_phone, f"E-mail {email!r} is not valid; left out.")
            )
            email = ""
    if extension:
        parsed.warnings.append(
            RowProblem(
                number,
                name,
                raw_phone,
                f"Extension {extension} dropped: texts cannot reach an extension.",
            )
        )
    kind = _kind(cells.get("kind", ""))
    if kind is None:
        parsed.warnings.append(
            RowProblem(
                number,
                name,
                raw_phone,
                f"Type {cells['kind']!r} is neither Contact nor Lead; added as a contact.",
            )
        )
        kind = Contact.Kind.CONTACT
    parsed.drafts.append(ContactDraft(number, first, last, phone, raw_phone, email, kind))


def _kind(raw: str) -> str | None:
    """The contact kind a Type cell names (blank is a contact), or None."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if not text:
        return Contact.Kind.CONTACT
    for kind in Contact.Kind:
        if text in (kind.value, str(kind.label).lower()):
            return kind
    return None


def parse_contacts_csv(data: bytes) -> ParsedFile:
    """Read every row of a contacts CSV. Raises ValidationError when the file
    as a whole cannot be used (too big, not text, no header, no phone column).
    UTF-8 (with or without a byte-order mark), UTF-16 with one, and the
    Windows code page are read."""
    text = _decode(data)
    try:
        return _parse(text)
    except csv.Error as error:
        raise ValidationError(f"The file could not be read as CSV ({error}).") from None


def _parse(text: str) -> ParsedFile:
    reader = _reader(text)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise ValidationError("The file is empty.")
    columns = _columns(header)

    parsed, seen = ParsedFile(), {}
    # The line each row starts on, to name it when a quote is left open.
    next_start = reader.line_num + 1
    for row in reader:
        started_at, next_start = next_start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            raise ValidationError(f"The file has more than {MAX_ROWS:,} contacts; split it.")
        _refuse_unclosed_quote(row, started_at, columns, reader.dialect.delimiter)
        cells = {
            field: (row[index].strip() if index < len(row) else "")
            for field, index in columns.items()
        }
        _read_row(reader.line_num, cells, parsed, seen)
    return parsed


def _refuse_unclosed_quote(row: list[str], started_at: int, columns, delimiter: str) -> None:
    """Refuse the file when a quote mark left open made the reader take the
    lines after it into one cell: a name or phone that spans lines, or any
    cell with a whole contact row (the columns, and a phone) inside it."""
    for index, cell in enumerate(row):
        if "\n" not in cell and "\r" not in cell:
            continue
        if index in (columns.get(field) for field in ("phone", "first_name", "last_name", "name")):
            raise _unclosed_quote(started_at)
        phone_index = columns["phone"]
        for line in cell.splitlines()[1:]:
            parts = line.split(delimiter)
            if len(parts) > max(phone_index, 1) and e164_or_none(parts[phone_index].strip()):
                raise _unclosed_quote(started_at)


def _unclosed_quote(line: int) -> ValidationError:
    return ValidationError(
        f'Line {line}: a quote mark (") opens a cell that does not close on that line, so '
        "the lines after it would be read into that one cell. Close or remove that quote "
        "mark and upload the file again."
    )
