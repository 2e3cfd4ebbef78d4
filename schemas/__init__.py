"""The XML schemas this project defines for its own documents (see README.md here).

A package only so that the schemas are installed with the node.
"""

from pathlib import Path

#: The folder of the schemas.
FOLDER = Path(__file__).resolve().parent
