"""The store's tables (SQLAlchemy Core), the schema that the migrations build.

Every statement about a work (a title, a claim, a recording) points to the
source that made it. Changes keep the previous version in ``history``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and always read back with its time zone.

    SQLite keeps no zone; PostgreSQL does. Both give aware datetimes in UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Files received or sent: the exchange ledger. The sha256 recognises a file seen before.
files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner", String(20), nullable=True),
    Column("direction", String(3), nullable=False),  # in | out
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(20), nullable=True),
    Column("version", String(10), nullable=True),
    Column("state", String(20), nullable=False),
    Column("transactions_done", Integer, nullable=False, default=0),
    Column("summary", JSON, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("size", Integer, nullable=True),
    Column("error", String(2000), nullable=True),  # the last failure of a step
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("remote_name", String(255), nullable=True),  # the name at the partner's side
    # who imports the file now: host, pid, process start (exchange.imports.file_claims)
    Column("holder", String(200), nullable=True),
    Index(None, "sha256", "direction"),
    Index(None, "partner", "direction", "state"),
)

# Who said it: one row per partner transaction (or per manual entry).
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner", String(20), nullable=False),
    Column("file_id", ForeignKey("files.id"), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("transaction_seq", Integer, nullable=True),
    Column("transaction_type", String(3), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Index(None, "file_id", "transaction_seq"),
    Index(None, "partner"),
)

works = Table(
    "works",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("iswc", String(11), nullable=True),
    Column("title", String(200), nullable=False),
    Column("title_norm", String(200), nullable=False),
    Column("language", String(2), nullable=True),
    Column("duration", Integer, nullable=True),
    Column("version_type", String(3), nullable=False, default="ORI"),
    Column("music_arrangement", String(3), nullable=True),
    Column("lyric_adaptation", String(3), nullable=True),
    Column("distribution_category", String(3), nullable=False, default="UNC"),
    Column("text_music_relationship", String(3), nullable=True),
    Column("copyright_date", Date, nullable=True),
    Column("original", JSON, nullable=True),
    Column("excerpt_type", String(3), nullable=True),
    Column("composite_type", String(3), nullable=True),
    Column("composite_count", Integer, nullable=True),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "iswc"),
    Index(None, "title_norm"),
    Index(None, "updated_at"),
)

titles = Table(
    "titles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("title_type", String(2), nullable=False),
    Column("language", String(2), nullable=True),
    Column("title_norm", String(200), nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Index(None, "work_id"),
    Index(None, "title_norm"),
)

work_numbers = Table(
    "work_numbers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),  # submitter | society
    Column("issuer", String(20), nullable=False),
    Column("number", String(20), nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    UniqueConstraint("number", "issuer", "kind"),  # number first: lookups by number
    Index(None, "work_id"),
)

parties = Table(
    "parties",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ipi_name_number", String(11), nullable=True, unique=True),
    Column("ipi_base_number", String(13), nullable=True),
    Column("last_name", String(90), nullable=False),
    Column("first_name", String(30), nullable=False, default=""),
    Column("name_norm", String(120), nullable=False),
    Column("is_legal_entity", Boolean, nullable=False, default=False),
    Index(None, "name_norm"),
)

# The identifier a sender uses for a party in its own files (CWR interested party #).
party_keys = Table(
    "party_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), nullable=False),
    Column("issuer", String(20), nullable=False),
    Column("key", String(20), nullable=False),
    UniqueConstraint("issuer", "key"),
    Index(None, "party_id", "issuer"),
)

affiliations = Table(
    "affiliations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), nullable=False),
    Column("society", String(3), nullable=False),
    Column("right", String(2), nullable=False),
    Column("territory", String(4), nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Index(None, "party_id"),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", ForeignKey("parties.id"), nullable=False),
    Column("side", String(10), nullable=False),  # writer | publisher
    Column("role", String(2), nullable=False),
    Column("controlled", Boolean, nullable=False, default=True),
    Column("chain", Integer, nullable=True),
    Column("writers", String(200), nullable=True),
    Column("pr_ownership", Integer, nullable=False, default=0),
    Column("mr_ownership", Integer, nullable=False, default=0),
    Column("sr_ownership", Integer, nullable=False, default=0),
    Column("position", Integer, nullable=False, default=0),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Index(None, "work_id"),
    Index(None, "party_id"),
    Index(None, "source_id"),
)

claim_territories = Table(
    "claim_territories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", ForeignKey("claims.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("tis", String(4), nullable=False),
    Column("include", Boolean, nullable=False),
    Column("pr_collection", Integer, nullable=False, default=0),
    Column("mr_collection", Integer, nullable=False, default=0),
    Column("sr_collection", Integer, nullable=False, default=0),
    Index(None, "claim_id"),
)

recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("isrc", String(12), nullable=True),
    Column("title", String(60), nullable=True),
    Column("version_title", String(60), nullable=True),
    Column("duration", Integer, nullable=True),
    Column("label", String(60), nullable=True),
    Column("release_date", Date, nullable=True),
    Column("album_title", String(60), nullable=True),
    Column("catalogue_number", String(18), nullable=True),
    Column("ean", String(13), nullable=True),
    Column("display_artist", String(60), nullable=True),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Column("recording_format", String(1), nullable=True),
    Column("recording_technique", String(1), nullable=True),
    Column("media_type", String(3), nullable=True),
    Column("isrc_validity", String(1), nullable=True),
    Column("submitter_recording_id", String(14), nullable=True),
    Index(None, "work_id"),
    Index(None, "isrc"),
)

performers = Table(
    "performers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=True),
    Column("recording_id", ForeignKey("recordings.id", ondelete="CASCADE"), nullable=True),
    Column("last_name", String(160), nullable=False),
    Column("first_name", String(160), nullable=False, default=""),
    Column("ipi_name_number", String(11), nullable=True),
    Column("ipi_base_number", String(13), nullable=True),
    Column("isni", String(16), nullable=True),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Index(None, "work_id"),
    Index(None, "recording_id"),
)

# What else a source said of a work, one model object per row as JSON: the entire work
# of an excerpt, productions, instrumentation, instruments, components, notes for
# societies and cross references (``kind`` is the Work attribute that holds it).
work_details = Table(
    "work_details",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("position", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Index(None, "work_id"),
)

# The previous version of every changed or removed row, with who changed it.
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", Integer, nullable=True),
    Column("entity", String(20), nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("action", String(10), nullable=False),  # update | delete
    Column("before", JSON, nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Column("changed_at", UtcDateTime(), nullable=False),
    Index(None, "work_id"),
)

# The last file sequence number used per sender and receiver (CWR file names carry it).
file_sequences = Table(
    "file_sequences",
    metadata,
    Column("sender", String(20), primary_key=True),
    Column("receiver", String(20), primary_key=True),
    Column("last_number", Integer, nullable=False),
)

# What the import made of each received work transaction: the input of the ACK we send back.
transaction_outcomes = Table(
    "transaction_outcomes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_id", ForeignKey("files.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", Integer, nullable=False),
    Column("transaction_seq", Integer, nullable=False),
    Column("transaction_type", String(3), nullable=False),
    Column("submitter_number", String(20), nullable=True),
    Column("title", String(60), nullable=True),
    Column("work_id", ForeignKey("works.id", ondelete="SET NULL"), nullable=True),
    Column("status", String(2), nullable=False),
    Column("digest", String(32), nullable=True),  # of the transaction's content: duplicates
    Column("messages", JSON, nullable=True),  # the findings, as Finding.as_dict()
    Column("conflict_work_id", Integer, nullable=True),  # the existing work of a CO
    Index(None, "file_id"),
    Index(None, "submitter_number"),
)

# Acknowledgements received from partners about our registrations: the status history.
registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=True),
    Column("partner", String(20), nullable=False),
    Column("submitter_number", String(20), nullable=False),
    Column("society_number", String(20), nullable=True),
    Column("title", String(60), nullable=True),
    Column("status", String(2), nullable=False),
    Column("processed_on", Date, nullable=True),
    Column("original_type", String(3), nullable=True),
    Column("original_created", String(14), nullable=True),  # the acknowledged file's HDR stamp
    Column("original_group", Integer, nullable=True),
    Column("original_seq", Integer, nullable=True),
    Column("iswc", String(11), nullable=True),
    Column("messages", JSON, nullable=True),
    Column("file_id", ForeignKey("files.id"), nullable=True),  # the ACK file
    Column("received_at", UtcDateTime(), nullable=False),
    Index(None, "work_id", "partner"),
    Index(None, "partner", "status"),
)

# Disputed claims and facts that a person has to settle, with their lifecycle.
conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # overclaim | counterclaim | iswc | identity
    Column("key", String(200), nullable=False),  # the same situation gives the same key
    Column(
        "status", String(20), nullable=False
    ),  # open | notified | documents_requested | resolved
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=True),
    Column("partner", String(20), nullable=True),  # who brought it in
    Column("right", String(2), nullable=True),
    Column("territory", String(4), nullable=True),
    Column("total", Integer, nullable=True),  # hundredths of a percent
    Column("excess", Integer, nullable=True),
    Column("detail", JSON, nullable=False),  # partners, message, values of an ISWC conflict
    Column("claims", JSON, nullable=True),  # the claims involved as they were when found
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("deadline", UtcDateTime(), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("outcome", String(20), nullable=True),  # amended | withdrawn | upheld
    Index(None, "work_id", "key"),
    Index(None, "status"),
)

# Every change of a conflict's status: who, when, why.
conflict_events = Table(
    "conflict_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conflict_id", ForeignKey("conflicts.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("outcome", String(20), nullable=True),
    Column("note", String(2000), nullable=True),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index(None, "conflict_id"),
)

# Incoming works that may be works we hold: waiting for a person to confirm or reject.
matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True),
    # match: the incoming work waits; duplicate: it is stored, and may be another
    # work of the same sender
    Column("kind", String(10), nullable=False, server_default="match"),
    Column("status", String(10), nullable=False),  # pending | confirmed | rejected
    Column("candidate_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("score", Integer, nullable=False),  # 0-100
    Column("reason", String(200), nullable=False),
    Column("work", JSON, nullable=False),  # the incoming work, waiting
    Column("partner", String(20), nullable=False),
    Column("file_id", ForeignKey("files.id"), nullable=True),
    Column("transaction_seq", Integer, nullable=True),
    Column("transaction_type", String(3), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("work_id", ForeignKey("works.id", ondelete="SET NULL"), nullable=True),  # result
    Index(None, "status"),
)

# Bearer tokens partners use against our HTTP API (only a hash is kept).
partner_tokens = Table(
    "partner_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("expires_at", UtcDateTime(), nullable=True),  # None: until revoked
    Index(None, "partner"),
)

# Who is exchanging with a partner now: one holder at a time, for a limited time.
partner_leases = Table(
    "partner_leases",
    metadata,
    Column("partner", String(20), primary_key=True),
    Column("holder", String(200), nullable=False),  # what for: sync, scheduler
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("host", String(255), nullable=True),  # the holder's machine
    Column("pid", Integer, nullable=True),  # its process id there
    Column("process", String(100), nullable=True),  # when that process started (pid reuse)
    Column("token", String(32), nullable=True),  # this holding, for take-over and release
)

# The ISWC database's rate limit, shared by every process of the node (exchange.iswc.rate):
# a token bucket for the requests of a minute and a count of the calendar month's requests.
iswc_rate = Table(
    "iswc_rate",
    metadata,
    Column("name", String(100), primary_key=True),  # which limit: the API's base URL
    Column("tokens", Float, nullable=False),  # requests that may start now
    Column("refilled_at", Float, nullable=False),  # seconds since the epoch
    Column("month", String(7), nullable=False),  # YYYY-MM of month_calls (UTC)
    Column("month_calls", Integer, nullable=False),
)

# Every request made to the ISWC database and how it ended (exchange.iswc.client).
iswc_calls = Table(
    "iswc_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),  # when the request was let through
    Column("method", String(10), nullable=False),
    Column("path", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),  # 1, then 2... for retries
    Column("status", Integer, nullable=True),  # None: no answer (connection failed)
    Column("items", Integer, nullable=True),  # items sent in a batch, 1 for a single one
    Column("rejected", Integer, nullable=True),  # items the answer rejected
    Column("error_code", String(10), nullable=True),  # the ISWC error code (100-247)
    Column("error", String(2000), nullable=True),  # its message, or what went wrong
    Index(None, "at"),
)

# Per work, its last submission to the ISWC database (exchange.iswc.submit): a digest of
# the Submission sent, so the same content is never sent twice, when, and how it ended.
iswc_submissions = Table(
    "iswc_submissions",
    metadata,
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    Column("workcode", String(20), nullable=False),  # our agency work code
    Column("digest", String(64), nullable=False),  # sha256 of the Submission's JSON
    Column("method", String(6), nullable=False),  # add | update
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("outcome", String(10), nullable=False),  # accepted | rejected | pending
    Column("iswc", String(11), nullable=True),  # the ISWC the database answered
    # sent in an ISWC JSON file (not by the API): the file's name, the submission id in it
    Column("file_name", String(255), nullable=True),
    Column("submission_id", Integer(), nullable=True),
)

# Every rejection of a submission of ours: the database's error code (100-247), message.
iswc_rejections = Table(
    "iswc_rejections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=True),  # of the submission (None: an ACK file's)
    Column("code", String(10), nullable=False),
    Column("message", String(2000), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index(None, "work_id"),
)

# The ISWCs of a work with where each came from (the database's answer or a notification
# file: the source's partner and file). The preferred one is also ``works.iswc``; those
# archived by a merge stay here, and find the work still.
work_iswcs = Table(
    "work_iswcs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    Column("iswc", String(11), nullable=False),
    Column("status", String(10), nullable=False),  # preferred | archived
    Column("preferred", String(11), nullable=True),  # an archived ISWC: merged into this one
    Column("source_id", ForeignKey("sources.id"), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    UniqueConstraint("work_id", "iswc"),
    Index(None, "iswc"),
)

# What each transaction of a notification file from the ISWC database came to: applied to
# a work of ours, noted in its history, unchanged, a conflict opened, or skipped (a work
# we do not hold).
iswc_notifications = Table(
    "iswc_notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_id", ForeignKey("files.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # in the file, from 1
    Column("transaction_type", String(3), nullable=True),  # CAR, CUR, CDR, MER...
    Column("preferred_iswc", String(11), nullable=True),
    Column("agency", String(3), nullable=True),
    Column("workcode", String(20), nullable=True),
    Column("work_id", ForeignKey("works.id", ondelete="SET NULL"), nullable=True),
    Column("outcome", String(10), nullable=False),  # iswc_works.NOTIFICATION_OUTCOMES
    Column("message", String(2000), nullable=False),
    Index(None, "file_id"),
)

# The people who use the operator console (exchange.operators): viewers read, operators
# also decide. Only an argon2 hash of the password is kept; failed sign-ins are counted
# here so that a lockout holds across processes and restarts.
operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(10), nullable=False),  # viewer | operator
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_changed_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("failed_signins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("last_signin_at", UtcDateTime(), nullable=True),
)

# Signed-in console sessions: the cookie holds a random id, the store its SHA-256.
operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("operator_id", ForeignKey("operators.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),  # every form of the session carries it
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index(None, "operator_id"),
)
