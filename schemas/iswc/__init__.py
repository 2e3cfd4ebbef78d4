"""The JSON Schema of the ISWC database's JSON file format (see ../README.md).

A package only so that the schema is installed with the node.
"""

from pathlib import Path

#: The schema of ISWC JSON files: submissions, acknowledgements and notifications.
SCHEMA_FILE = Path(__file__).resolve().parent / "iswc_schema.json"
