"""Translation catalogues without the GNU gettext tools: reading a .po file and writing the .mo
file Python's gettext (and so Django) loads. `rapport compilecatalogues` uses it, so that a
machine without msgfmt still compiles the catalogues, and the tests use it to check that every
message has a translation and that the committed .mo files match their .po files.

Supports what Django's catalogues use: msgctxt, msgid_plural with msgstr[n], the fuzzy flag and
obsolete (#~) entries, which are skipped.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field


@dataclass
class Entry:
    msgid: str = ""
    msgstr: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    plurals: dict[int, str] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    line: int = 0

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        """Has a usable translation: not fuzzy, and every form filled in."""
        if self.fuzzy:
            return False
        if self.msgid_plural is not None:
            return bool(self.plurals) and all(self.plurals.values())
        return bool(self.msgstr)


def _unquote(text: str, line: int) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"line {line}: expected a quoted string, found {text!r}")
    value = ast.literal_eval(text)
    if not isinstance(value, str):
        raise ValueError(f"line {line}: not a string")
    return value


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file in order, the header (empty msgid) first."""
    entries: list[Entry] = []
    current = Entry()
    started = False
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, started, target
        if started:
            entries.append(current)
        current, started, target = Entry(), False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue  # obsolete
        if line.startswith("#,"):
            if started and target is not None and target[0] != "msgctxt":
                finish()
            current.flags = current.flags | {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"line {number}: a string outside an entry")
            _append(current, target, _unquote(line, number))
            continue
        keyword, _, rest = line.partition(" ")
        after_translation = target is not None and target[0] == "msgstr"
        if keyword in ("msgctxt", "msgid") and started and after_translation:
            finish()
        if not started:
            if keyword != "msgid" and keyword != "msgctxt":
                raise ValueError(f"line {number}: {keyword} without a msgid before it")
            current.line = number
        started = True
        if keyword.startswith("msgstr[") and keyword.endswith("]"):
            target = ("msgstr", int(keyword[7:-1]))
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            target = (keyword, None)
        else:
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
        _set(current, target, _unquote(rest, number))
    finish()
    return entries


def _set(entry: Entry, target: tuple[str, int | None], value: str) -> None:
    name, index = target
    if name == "msgstr" and index is not None:
        entry.plurals[index] = value
    elif name == "msgctxt":
        entry.msgctxt = value
    elif name == "msgid_plural":
        entry.msgid_plural = value
    else:
        setattr(entry, name, value)


def _append(entry: Entry, target: tuple[str, int | None], value: str) -> None:
    name, index = target
    if name == "msgstr" and index is not None:
        entry.plurals[index] += value
    elif name == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + value
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + value
    else:
        setattr(entry, name, getattr(entry, name) + value)


def messages(entries: list[Entry]) -> dict[str, str]:
    """The key → translation pairs a .mo file holds: translated entries and the header, keyed
    as GNU gettext keys them (context and EOT before the id, plural forms NUL-separated)."""
    table: dict[str, str] = {}
    for entry in entries:
        if entry.msgid and not entry.translated:
            continue
        key = entry.msgid
        if entry.msgid_plural is not None:
            key += "\0" + entry.msgid_plural
            value = "\0".join(entry.plurals[i] for i in sorted(entry.plurals))
        else:
            value = entry.msgstr
        if entry.msgctxt is not None:
            key = entry.msgctxt + "\x04" + key
        table[key] = value
    return table


def mo_bytes(entries: list[Entry]) -> bytes:
    """A little-endian .mo file of the translated entries (no hash table: it is optional)."""
    table = messages(entries)
    keys = sorted(table)
    ids = [k.encode() for k in keys]
    strs = [table[k].encode() for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_start = header_size + count * 8 * 2
    offsets: list[int] = []
    data = b""
    for blob in (*ids, *strs):
        offsets += [len(blob), ids_start + len(data)]
        data += blob + b"\0"
    id_table, str_table = offsets[: 2 * count], offsets[2 * count :]
    header = struct.pack(
        "<7I", 0x950412DE, 0, count, header_size, header_size + count * 8, 0, ids_start
    )
    return header + struct.pack(f"<{4 * count}I", *id_table, *str_table) + data
