"""The connection as one value: what the window shows, decided outside it."""

from __future__ import annotations

from studio.session.connection import NOT_CONNECTED, Connection, ConnectionInfo


def test_labels_say_where_jobs_go():
    assert ConnectionInfo(sandbox=True, base_url="").label == "Sandbox (offline)"
    assert ConnectionInfo(sandbox=False, base_url="https://api.legnext.ai/api").label == "api.legnext.ai"
    assert ConnectionInfo(sandbox=False, base_url="", pending=True).label == "Connecting…"


def test_a_lost_connection_is_said_once_with_the_settings_as_the_way_out(qapp):
    connection = Connection(ConnectionInfo(sandbox=False, base_url="", pending=True))
    infos, failures = [], []
    connection.changed.connect(infos.append)
    connection.failed.connect(lambda text, settings: failures.append((text, settings)))
    connection.lost("Connecting failed: the server settings cannot be used")
    assert connection.info.label == NOT_CONNECTED and not connection.info.pending
    assert infos == [connection.info]
    assert failures == [("Connecting failed: the server settings cannot be used", True)]
    connection.task_failed("Refreshing the balance failed: no data")
    assert failures[-1] == ("Refreshing the balance failed: no data", False)
