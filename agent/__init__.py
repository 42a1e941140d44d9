"""Tandem's native agent ("Support Manager" in the UI): shares a desktop or one
application window, takes remote control and moves files, only on grants the
relay confirms. It imports nothing from the relay but `server.protocol`."""
