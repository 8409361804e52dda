"""OFAC SDN list readers: legacy ``sdn.csv``, legacy ``sdn.xml`` and ``sdn_advanced.xml``.

Each yields one row per digital currency address: ``currency`` (OFAC's code, e.g. XBT),
``address``, ``entry_id`` (ent_num / uid / FixedRef), ``entry_name`` and ``program``.

- ``sdn.csv`` (OFAC "SDN data specification"): no header, 12 columns, null written
  ``-0-``, a trailing Ctrl-Z byte. Addresses sit in Remarks as ``[alt. ]Digital Currency
  Address - CODE address``; Remarks are cut at 1,000 characters, so an address ending
  exactly there may be truncated and is left out (reported as a warning).
- XML is untrusted input and is parsed with defusedxml (entity expansion, external
  entities and DTDs are refused). Legacy ``sdn.xml`` carries addresses as ``id`` items
  with ``idType`` "Digital Currency Address - CODE"; ``sdn_advanced.xml`` as ``Feature``
  elements whose ``FeatureType`` has that name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, parse

from chainsleuth.errors import MalformedRecord

FEATURE_PREFIX = "Digital Currency Address - "
REMARKS_LIMIT = 1000
_CSV_COLUMNS = 12
_REMARK = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+) ([^\s;]+)")

Row = dict[str, Any]


def _program(text: str) -> str:
    return "; ".join(p.strip(" []") for p in text.split("] [") if p.strip(" []"))


def _remark_addresses(remarks: str) -> Iterator[tuple[str, str, bool]]:
    """(code, address, complete) for each address in a Remarks text."""
    for m in _REMARK.finditer(remarks):
        address, at_end = m.group(2), m.end() == len(remarks)
        if at_end and address.endswith("."):
            address = address[:-1]  # the sentence's full stop, not part of the address
        elif at_end and len(remarks) >= REMARKS_LIMIT:
            yield m.group(1), address, False
            continue
        yield m.group(1), address, True


def read_sdn_csv(path: Path) -> tuple[list[Row], list[str]]:
    """Addresses of a legacy ``sdn.csv`` and warnings about truncated ones."""
    try:
        text = path.read_bytes().rstrip(b"\x1a").decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedRecord(
            path=path, record=f"byte offset {exc.start}", reason="not ASCII"
        ) from exc
    rows: list[Row] = []
    warnings: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            if len(record) != _CSV_COLUMNS:
                raise MalformedRecord(
                    path=path,
                    record=f"line {reader.line_num}",
                    field="Remarks" if len(record) > _CSV_COLUMNS else f"column {len(record) + 1}",
                    reason=f"{len(record)} columns, expected {_CSV_COLUMNS}",
                )
            if not record[0].strip().isdigit():
                raise MalformedRecord(
                    path=path,
                    record=f"line {reader.line_num}",
                    field="ent_num",
                    reason="not a number",
                )
            for code, address, complete in _remark_addresses(record[11]):
                if not complete:
                    warnings.append(
                        f"ent_num {record[0]}: {code} {address!r} cut at 1,000 characters"
                    )
                    continue
                rows.append(_row(code, address, record[0], record[1], _program(record[3])))
    except csv.Error as exc:
        raise MalformedRecord(path=path, record=f"line {reader.line_num}", reason=str(exc)) from exc
    return rows, warnings


def _row(code: str, address: str, entry_id: str, name: str, program: str) -> Row:
    return {
        "currency": code.upper(),
        "address": address.strip(),
        "entry_id": entry_id.strip(),
        "entry_name": name.strip(),
        "program": program or None,
    }


def _local(el: Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el.iter() if _local(c) == name)


def _first_text(el: Element, name: str) -> str:
    return next((c.text or "" for c in _children(el, name)), "").strip()


def _legacy_xml(path: Path, root: Element) -> tuple[list[Row], date | None]:
    rows: list[Row] = []
    for entry in _children(root, "sdnEntry"):
        uid = _first_text(entry, "uid")
        name = ", ".join(
            p for p in (_first_text(entry, "lastName"), _first_text(entry, "firstName")) if p
        )
        programs = "; ".join((p.text or "").strip() for p in _children(entry, "program"))
        for ident in _children(entry, "id"):
            kind = _first_text(ident, "idType")
            if kind.startswith(FEATURE_PREFIX):
                address = _first_text(ident, "idNumber")
                if not address:
                    raise MalformedRecord(
                        path=path, record=f"sdnEntry {uid}", field="idNumber", reason="empty"
                    )
                rows.append(_row(kind.removeprefix(FEATURE_PREFIX), address, uid, name, programs))
    published = _first_text(root, "Publish_Date")
    try:
        month, day, year = (int(p) for p in published.split("/"))
        return rows, date(year, month, day)
    except ValueError:
        return rows, None


def _advanced_names(root: Element) -> dict[str, str]:
    """Profile id -> its primary name (the alias marked Primary="true")."""
    names: dict[str, str] = {}
    for profile in _children(root, "Profile"):
        for alias in _children(profile, "Alias"):
            if alias.get("Primary") == "true":
                parts = [(v.text or "").strip() for v in _children(alias, "NamePartValue")]
                names[profile.get("ID", "")] = " ".join(p for p in parts if p)
                break
    return names


def _advanced_xml(path: Path, root: Element) -> tuple[list[Row], date | None]:
    types = {
        ft.get("ID", ""): (ft.text or "").removeprefix(FEATURE_PREFIX)
        for ft in _children(root, "FeatureType")
        if (ft.text or "").startswith(FEATURE_PREFIX)
    }
    names = _advanced_names(root)
    programs: dict[str, list[str]] = {}
    for entry in _children(root, "SanctionsEntry"):
        comments = [(c.text or "").strip() for c in _children(entry, "Comment")]
        programs.setdefault(entry.get("ProfileID", ""), []).extend(c for c in comments if c)
    rows: list[Row] = []
    for party in _children(root, "DistinctParty"):
        for profile in _children(party, "Profile"):
            pid = profile.get("ID", "")
            for feature in _children(profile, "Feature"):
                code = types.get(feature.get("FeatureTypeID", ""))
                if code is None:
                    continue
                address = _first_text(feature, "VersionDetail")
                if not address:
                    raise MalformedRecord(
                        path=path,
                        record=f"Feature {feature.get('ID')}",
                        field="VersionDetail",
                        reason="empty",
                    )
                rows.append(
                    _row(
                        code,
                        address,
                        party.get("FixedRef", pid),
                        names.get(pid, ""),
                        "; ".join(programs.get(pid, [])),
                    )
                )
    issued = next(_children(root, "DateOfIssue"), None)
    try:
        when = (
            date(*(int(_first_text(issued, p)) for p in ("Year", "Month", "Day")))
            if issued is not None
            else None
        )
    except ValueError:
        when = None
    return rows, when


def read_sdn_xml(path: Path) -> tuple[list[Row], date | None]:
    """Addresses and publication date of ``sdn.xml`` or ``sdn_advanced.xml``."""
    try:
        root = parse(str(path), forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise MalformedRecord(path=path, record="document", reason=f"refused XML: {exc!r}") from exc
    except ParseError as exc:
        line, col = exc.position
        raise MalformedRecord(
            path=path, record=f"line {line}, column {col}", reason=f"bad XML: {exc}"
        ) from exc
    kind = _local(root)
    if kind == "sdnList":
        return _legacy_xml(path, root)
    if kind == "Sanctions":
        return _advanced_xml(path, root)
    raise MalformedRecord(
        path=path, record="document", field=kind, reason="not an OFAC SDN XML file"
    )
