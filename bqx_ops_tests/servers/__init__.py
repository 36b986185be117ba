"""Protocol-faithful fake API servers (Airtable, GitHub, Slack) for testing live clients.

The servers speak the real wire protocol on 127.0.0.1 so the real client
libraries can be pointed at them unmodified; see each module's docstring.
Pytest fixtures live in :mod:`bqx_ops_tests.servers.fixtures`.
"""

from .airtable import AirtableServer
from .base import FakeServer, RecordedRequest
from .github import GitHubServer, make_issue
from .slack import SlackServer

__all__ = ["AirtableServer", "FakeServer", "GitHubServer", "RecordedRequest", "SlackServer", "make_issue"]
