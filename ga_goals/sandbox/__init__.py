"""The embedded GA4 sandbox: a local property behind the real Admin (and later Data) API protocols.

Importing this package is cheap (no grpc, no Google clients); the server lives in
``ga_goals.sandbox.server``.
"""

#: The property id that ``property: sandbox`` in a plan file stands for.
SANDBOX_PROPERTY_ID = "100000001"
