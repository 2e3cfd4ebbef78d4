"""The vocabulary of DDEX MWN 1.3 claim notifications, one source for writer and reader.

The message's namespace, root element and profiles, the namespaces of the
ProprietaryIds the node writes, and the node's codes as MWN spells them: rights,
share kinds, title types and writer roles (each with its way back).
"""

from __future__ import annotations

from exchange.model import Right

NAMESPACE = "http://ddex.net/xml/mc-notif/13"
ROOT = "MusicalWorkClaimNotificationMessage"
#: The allowed-value-set version the 1.3 schema ships with.
AVS_VERSION = "7"
SHARE_NOTIFICATION = "ShareNotification"
CONFLICT_NOTIFICATION = "ConflictNotification"
#: The TerritoryCode of the whole world (TIS 2136).
WORLDWIDE = "Worldwide"
#: Namespaces of the ProprietaryIds the node writes besides the sender's own.
CWR_NAMESPACE = "CWR"
IPI_BASE_NAMESPACE = "IPI:BaseNumber"

RIGHTS = {
    Right.PR: "PerformingRight",
    Right.MR: "MechanicalRight",
    Right.SR: "SynchronizationRight",
}
RIGHTS_BACK = {v: k for k, v in RIGHTS.items()}
OWNERSHIP = "MusicalWorkManuscriptShare"
COLLECTION = "MusicalWorkCollectionShare"

#: CWR title types and MWN TitleTypes (others travel as UserDefined in namespace CWR).
TITLE_TYPES = {
    "OT": "OriginalTitle",
    "AT": "AlternativeTitle",
    "TE": "FirstLineOfText",
    "FT": "FormalTitle",
    "IT": "IncorrectTitle",
    "TT": "TranslatedTitle",
    "PT": "TitleAsPart",
}
TITLE_TYPES_BACK = {v: k for k, v in TITLE_TYPES.items()}

#: CWR writer designations and MWN creator roles (PA, an income participant, has none).
WRITER_ROLE_NAMES = {
    "CA": "ComposerLyricist",
    "C": "Composer",
    "A": "Lyricist",
    "AR": "Arranger",
    "AD": "Adapter",
    "TR": "Translator",
    "SA": "SubLyricist",
    "SR": "SubArranger",
}
WRITER_ROLES_BACK = {v: k for k, v in WRITER_ROLE_NAMES.items()} | {
    "Author": "A",
    "Creator": "CA",
}
