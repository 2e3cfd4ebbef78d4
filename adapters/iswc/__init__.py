"""The ISWC database's file formats, as pure codecs (no store): see docs/iswc-files.md.

* :mod:`adapters.iswc.model`: the records (submissions, acknowledgements,
  notifications) both formats read and write;
* :mod:`adapters.iswc.json_files`: the ISWC JSON format, checked against
  ``schemas/iswc/iswc_schema.json``;
* :mod:`adapters.iswc.edi` and :mod:`adapters.iswc.edi_writer`: the ISWC EDI
  v3.00 fixed-width format, its layouts in ``layouts/edi300.csv``;
* :mod:`adapters.iswc.naming`: the file names of both.
"""
