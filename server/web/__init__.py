"""HTTP and WebSocket edges: the app, the /ws endpoint, the REST API, pages, sign-in, admin."""
