"""Work registrations in a spreadsheet: one row per work and party share.

The columns are those of the ``works`` sheet in ``columns.csv`` (see
docs/spreadsheets.md). How rows become works:

* rows with the same ``work_number`` are one work; a row with an empty
  ``work_number`` continues the work of the row above. The work's own cells
  (``title``, ``alternate_titles``, ``iswc``, ``language``) are given once,
  on any of its rows; other rows leave them empty or repeat them exactly;
* each row with a ``role`` states one party's claim; rows of one work naming
  the same party (IPI name number, else ``party_key``, else name) in the same
  role and publisher chain are one claim, one row per territory: their
  ownership and party cells agree (or are left empty on the later rows), and
  each adds its territory and collection shares. A row whose party cells are
  all empty carries only work cells;
* a row's territory: the ``territory`` cell, a leading minus excluding it;
  empty means the world (2136) when a collection cell is filled, and no
  territory at all when the collection cells are empty too;
* ``PA`` (income participant) is a publisher when ``publisher_chain`` is
  given, else a writer.

Each work becomes a ``REG`` transaction (:mod:`adapters.registrations`) whose
findings say where: the row, the column, the cell. A bad cell that leaves the
work's meaning unsure (identifier, role, share, territory, missing title or
party name, a work cell given twice differently) rejects the whole work (TR);
a cell that can be left out (an unknown society or language code) is dropped
(FR) and the work goes on.

What the sheet carries of a :class:`~exchange.model.Work`: the title and its
language, alternative titles (type AT), the ISWC, the sender's work number,
and the claims: role, side, party (names, IPI numbers, key, one world-wide
society per right), controlled, chain, ownership, territories with their
collection shares. Not carried: other title types, other work numbers,
durations and the other work header fields, the writers a publisher
represents, performers and recordings.

The package: :mod:`~adapters.spreadsheet.works.claims` reads the claim each row
states, :mod:`~adapters.spreadsheet.works.reader` the works of a sheet,
:mod:`~adapters.spreadsheet.works.writer` writes works as rows.
"""

from __future__ import annotations

KIND = "works"
#: Longest values the store keeps.
LIMITS = {
    "work_number": 20,
    "title": 200,
    "party_name": 90,
    "party_first_name": 30,
    "party_key": 20,
}
TITLE_SEPARATOR = " | "

__all__ = ["KIND", "LIMITS", "TITLE_SEPARATOR"]
