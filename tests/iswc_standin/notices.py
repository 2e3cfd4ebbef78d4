"""The stand-in's notification files: a CSN (ISWC JSON) to each other agency on an ISWC.

When an agency adds its work to an ISWC other agencies have works on, updates
its work, or merges ISWCs, the ISWC database notifies the other agencies in a
CSN file on their SFTP folder (guidelines ISWCIA20-0312, 3.2). With a folder
given, the stand-in writes one JSON notification file per change and receiving
agency in its folder ``<folder>/<receiver>``, from the database (315), as
``iswc_<time>_<receiver>_315_<number>.json`` (under a temporary name, then renamed).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.iswc import json_files
from adapters.iswc.model import FileHeader, Notification, WorkInfo

if TYPE_CHECKING:
    from tests.iswc_standin.database import Database
    from tests.iswc_standin.database import WorkInfo as Submitted

#: The ISWC database's agency code, the sender of its files.
DATABASE = "315"


class Notices:
    """Writes CSN files into ``folder/<receiver>`` (one a change and receiving agency)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def changed(
        self,
        db: Database,
        kind: str,
        by: Submitted,
        iswc: str,
        moment: datetime,
        merged: str | None = None,
    ) -> None:
        """``by`` (a submission) was added (CAR), updated (CUR) or merged (MER, ``merged``
        into ``iswc``): notify every other agency with a work on ``iswc``."""
        others = [i for i in db.active(iswc) if i.agency != by.agency]
        infos = tuple(
            WorkInfo(
                i.agency,
                int(i.body["sourcedb"]),
                i.workcode,
                iswc,
                merged if merged and i.iswc == merged else None,
            )
            for i in db.active(iswc)
        )
        for receiver in sorted({i.agency for i in others}):
            self.count += 1
            task = next(
                (t for t in reversed(db.tasks.values())
                 if t.assigned == receiver and t.iswc == iswc and t.status == "Outstanding"),
                None,
            )  # fmt: skip
            notice = Notification(
                iswc, by.agency, int(by.body["sourcedb"]), by.workcode,
                by.body["originalTitle"], moment, moment, kind,
                submission_id=self.count, original_submission=by.id, status="FA",
                workflow_task_id=task.id if task else None,
                workflow_status="Outstanding" if task else None,
                work_info=infos,
            )  # fmt: skip
            header = FileHeader(DATABASE, receiver, moment, int(DATABASE))
            name, data = json_files.write_notifications(header, [notice], f"{self.count:06d}")
            inbox = self.folder / receiver
            inbox.mkdir(parents=True, exist_ok=True)
            partial = inbox / f".{name}.part"
            partial.write_bytes(data)
            os.replace(partial, inbox / name)
