"""The ``sftp`` transport: a partner's SFTP server.

:mod:`.settings` reads the partner's ``[partners.transport]`` table,
:mod:`.session` holds the SSH connection (keys, host keys, retries) and
:mod:`.transport` the file operations of the
:class:`~exchange.transports.Transport` interface.
"""
