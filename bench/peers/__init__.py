"""The relays the benches start (`relays.py`), and the peer relays written for
the relay bench: Node's `ws` (`ws_relay.js`) and picows (`picows_relay.py`)."""
