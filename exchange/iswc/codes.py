"""The ISWC database's vocabularies: error codes, title types, roles, enumerations.

From the CISAC ISWC Database REST API specification (2019-12-17), chapter 5.1
("Error Codes cross referenced with Business Rules") and the Submission schema,
with the rule each code comes from. The rule texts of chapter 5.2 give other
numbers for a few of the same cases (IV/14 says 110, IV/15 says 111); the table
of 5.1 is the one the API answers with, and the one kept here.

>>> ERRORS["141"]
'ISWC format error – Invalid Check Digit'
>>> RULES["137"]
'MD/16'
"""

from __future__ import annotations

from adapters.iswc import vocabulary

#: code -> (message, business rules)
_TABLE: dict[str, tuple[str, str]] = {
    "100": ("Generic Error", ""),
    "102": ("I.P. Name Number is required", "IV/19"),
    "103": ("Source Society Code is invalid", "IV/10, PV/25"),
    "104": ("At least one I.P. is required on a submission", "IV/02"),
    "105": ("ISWC System Unable to process record, please resubmit", "IV/01"),
    "106": ("I.P. Role Code is required", "IV/22"),
    "107": ("Preferred ISWC is required", "IV/13"),
    "108": (
        "The IP on the work submission is not a creator affiliated with the source society",
        "IV/24",
    ),
    "109": ("Work Titles are required", "IV/05"),
    "110": ("Only one Original Title allowed", "IV/06"),
    "111": ("At least one creator I.P. is required", "IV/07"),
    "112": ("Work Title Type is required", "IV/31"),
    "113": ("ISWC format error [T][0-9]{10}", "IV/14"),
    "114": (
        "An existing ISWC logical work that already contains active (not deleted) "
        "submission from the submitting society",
        "PV/06",
    ),
    "115": (
        "Specified source db is not allowed to make a submission for the specified society",
        "IV/08",
    ),
    "116": ("Modification of an Archived ISWC is not permitted", "PV/23, PV/26"),
    "117": ("Requested ISWC preferred does not exist on ISWC System", "PV/22, PV/24, PV/25"),
    "118": (
        "At least one Derived From DF record is required for a Derived Work of type "
        '"Modified Version"',
        "IV/34",
    ),
    "119": (
        "The ISWC provided in the Derived From DF record is not a valid Preferred ISWC in "
        "the ISWC Database",
        "IV/34, IV/36, IV/38",
    ),
    "120": (
        "Each Derived From DF record must contain either an ISWC or a Title",
        "IV/34, IV/36, IV/38",
    ),
    "121": (
        'At least one Derived From DF record is required for a Derived Work of type "Composite"',
        "IV/36",
    ),
    "122": ("Invalid Disambiguation ISWC", "IV/40"),
    "123": ("Invalid disambiguation reason code", "IV/40"),
    "124": ("One or more Disambiguation ISWCs must be provided", "IV/40"),
    "125": (
        "BLTVR must be blank or be one of the following values: Background, Logo, Theme, "
        "Visual, RolledUpCue",
        "IV/40",
    ),
    "126": (
        "Performer information must contain a Second Name or a Second Name and a First Name",
        "IV/40",
    ),
    "127": ("Submitted titles don’t match current ISWC Documentation", "PV/04"),
    "128": (
        "One or more specified Disambiguation ISWCs are not Preferred ISWCs in the ISWC Database",
        "PV/30",
    ),
    "129": ("Invalid Disambiguation ISWC", "IV/40"),
    "130": ("The Agency Work Number provided does not exist in the ISWC Database", "PV/01"),
    "131": ("Submission is Deleted in the ISWC Database", "PV/05"),
    "132": (
        "The Preferred ISWCs specified in the merge do not exist in the ISWC database",
        "PV/09",
    ),
    "133": ("Delete reason has not been provided", "PV/13"),
    "134": ("I.P. Name Number is invalid, must be numeric", "IV/20"),
    "135": ("Work Title Type is invalid", "IV/31"),
    "136": ("Society Work Code is required", "IV/11"),
    "137": ("IP Name Number must be status 1 or 2 and exist in the IPI database", "MD/16"),
    "138": ("Source Society Database Code is invalid", "IV/12, PV/25"),
    "139": ("I.P. Role Code is invalid", "IV/22"),
    "140": (
        "The submitted transaction is not ISWC eligible and no matching Preferred ISWC has "
        "been found through the matching rules as per MAT/04",
        "PV/29",
    ),
    "141": ("ISWC format error – Invalid Check Digit", "IV/15"),
    "142": ("No specific error number - the whole file is rejected", "IV/09"),
    "143": (
        "Requested ISWC metadata does not exist for specified Society Work Code, Society "
        "Code and Society Database Code",
        "PV/25",
    ),
    "144": ("The submitting agency may not update Preferred ISWC level metadata", "PV/20"),
    "145": ("The submitting agency may only remove IPs that they control", "PV/21"),
    "146": ("Instrumentation Code is invalid", "IV/40"),
    "147": (
        'At least one Derived From DF record is required for a Derived Work of type "Excerpt"',
        "IV/38",
    ),
    "148": ("I.P. is not accepted", "IV/29"),
    "149": ("Agency is not Eligible for a Source ISWC", "EL/03"),
    "150": ("Submitter is not ISWC Eligible for all works to be merged", "PV/10"),
    "151": ("Agency provided does not exist in the database", "PV/11"),
    "152": ("Workflow Task with the properties provided does not exist", "PV/11"),
    "153": (
        "The Preferred ISWC specified in the demerge does not exist in the ISWC database",
        "PV/09",
    ),
    "154": ("None of the provided Creators are affiliated with a Society", "EL/02"),
    "155": (
        "Concurrency Error: The Submission being updated has already changed. Please try again.",
        "",
    ),
    "156": (
        "An ISWC can not be merged because it would result in a self-referential link.",
        "PV/31",
    ),
    "157": ("An ISWC can not be merged because it already has a parent ISWC.", "PV/31"),
    "158": ("Work code must not exceed 20 characters", "IV/45"),
    "159": ("Work code does not exist for submitted ISWC", "IV/46"),
    "160": (
        "The submitted transaction is not ISWC eligible and multiple matches have been found "
        "through the matching rules as per MAT/04",
        "PV/29",
    ),
    "161": ("Publisher is not a member of submitting agency", "EL/04"),
    "162": ("Performer Firstname and Lastname values must not exceed 50 characters", "IV/47"),
    "163": ("No matching Preferred ISWC has been found", "PV/29"),
    "164": ("Multiple matching ISWCs have been found", "PV/29"),
    "165": (
        "Submitting publisher is not set up to make Allocation or Resolution requests",
        "IV/48",
    ),
    "166": ("Resolution transactions (FSQ) are administered via CISAC only", "IV/49"),
    "201": ("DerivedFrom ISWCs do not match exactly one matching preferred ISWC", ""),
    "202": ("Merge ISWCs do not match exactly one matching preferred ISWC", ""),
    "203": ("Merge Agency Work Numbers do not match exactly one matching Agency Work Number", ""),
    "247": ("Submitted IPs do not match current ISWC Documentation", "PV/04"),
}

#: The message of each error code the ISWC database answers with.
ERRORS: dict[str, str] = {code: message for code, (message, _rules) in _TABLE.items()}
#: The business rules (IV, MD, EL, PV) behind each code ("" where the table names none).
RULES: dict[str, str] = {code: rules for code, (_message, rules) in _TABLE.items()}

# The vocabularies the REST API shares with the ISWC JSON file format have one
# source, the project's ISWC JSON Schema (adapters.iswc.vocabulary): title types
# (IV/31), creator roles (IV/07), categories, derived-work types, disambiguation
# reasons, BVLTR and workflow types.
#: The publisher/administrator roles the database uses (IV/22).
PUBLISHER_ROLES = frozenset({"E", "AM"})
#: Every role the REST Submission accepts: the file format's, and the rolled-up
#: creator roles MA and TA of the API; the database ignores all but creators and E, AM.
ROLES = vocabulary.ROLES | {"MA", "TA"}
#: Workflow task statuses by name (the REST API's; the files number them).
WORKFLOW_STATUSES = tuple(vocabulary.WORKFLOW_STATUSES.values())
#: Which workflow tasks GET /iswc/workflowTasks lists.
SHOW_WORKFLOWS = ("AssignedToMe", "CreatedByMe")
