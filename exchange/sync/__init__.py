"""Exchanges with partners: one exchange session (lease, transport, inbound and
outbound files, manifests), used by the CLI, the scheduler and the demo alike.
"""
