"""DDEX MWN 1.3 claim notification messages: works and right shares to XML and back.

A ``MusicalWorkClaimNotificationMessage`` (namespace ``http://ddex.net/xml/mc-notif/13``)
carries a PartyList, a WorkList and a RightShareList. The node writes two of the
profiles of MWN part 2:

* **ShareNotification**: works with their writers and each claim's right shares;
* **ConflictNotification**: only works in conflict, every claim on them, and
  ``Conflict`` composites grouping the right shares that conflict with each other.

How the node's model maps to MWN (docs/mwn.md says the same for operators):

* a claim's ownership per right is a ``MusicalWorkManuscriptShare`` (territory
  Worldwide); its collection per right and territory is a
  ``MusicalWorkCollectionShare`` whose TerritoryCode is the TIS code
  (``IdentifierType="TIS"``), followed by the territories it excludes. Rights
  with the same percentage share one RightShare (several RightsType);
* MWN has no place for the CWR role of a publisher, the publisher chain or
  whether the sender controls the party: each right share carries them as
  ``<RightShareId Namespace="CWR">SPU E 1</RightShareId>`` (record type, role,
  chain), which other readers may ignore;
* writers are also listed in the work (``Writer`` with a DDEX role);
* ids the sender gives (work numbers, party keys) are ProprietaryIds in the
  namespace ``DPID:<sender's DPID>``; IPI base numbers, which MWN has no element
  for, in the namespace ``IPI:BaseNumber``; a society is a Party with its
  ``CisacSocietyId``;
* shares are percentages with two decimals (``33.33``).

The package in three modules:

* :mod:`~adapters.ddex.mwn.vocabulary`: the message's namespace and profiles, and
  the node's codes as MWN spells them (rights, share kinds, title types, writer roles);
* :mod:`~adapters.ddex.mwn.writer`: works and conflict groups to a message;
* :mod:`~adapters.ddex.mwn.reader`: a validated message to registrations.
"""
