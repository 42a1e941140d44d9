"""English: the reference catalog; every other language has exactly these keys."""

STRINGS = {
    "title": "Tandem Support Manager",
    "confirm.heading": "Join your support session",
    "confirm.session": "Session {number}",
    "confirm.rep": "Representative: {name}",
    "confirm.server": "Support site: {host}",
    "confirm.explain": "Once you join, your representative can ask to see or control your screen. "
                       "Nothing is shared until you allow it, and you can stop at any time.",
    "confirm.checking": "Checking the session…",
    "enter.heading": "Join a support session",
    "enter.intro": "Enter the session number and the pairing code shown on your session page.",
    "enter.number": "Session number",
    "enter.code": "Pairing code",
    "enter.relay": "Support site address",
    "button.join": "Join",
    "button.cancel": "Cancel",
    "button.retry": "Try again",
    "button.leave": "Leave the session",
    "button.close": "Close",
    "joining": "Joining…",
    "joined.heading": "You are in the session",
    "joined.text": "The Support Manager is connected to session {number}. Your representative asks before "
                   "they see or control anything. Keep this window open: closing it disconnects the Support Manager.",
    "ended.text": "The Support Manager has left the session.",
    "error.unreachable": "Cannot reach {host}. Check your internet connection and try again.",
    "error.refused": "{host} did not accept this session number and code. A code works once and for 10 minutes: "
                     "get a new one on your session page.",
    "error.used": "This download has already been used, or a newer download replaced it. Download the Support "
                  "Manager again from your session page, or enter a new pairing code.",
    "error.expired": "This download has expired. Download the Support Manager again from your session page, "
                     "or enter a new pairing code.",
    "error.ended": "Session {number} has ended. Ask your representative for a new session.",
    "error.invalid": "{host} does not recognise this download. Download the Support Manager again from your "
                     "session page.",
    "error.number": "A session number has 9 digits.",
    "error.code": "A pairing code has 6 digits.",
    "error.relay": "Enter the support site's address, for example https://support.example.com.",
    "error.stopped": "The Support Manager stopped unexpectedly: {error}",
    "error.no_window": "The Support Manager cannot open its window here ({error}). From a terminal: "
                       "tandem-agent pair --relay URL NUMBER CODE",
    "screen.wayland": "This desktop runs Wayland, where the Support Manager cannot see the screen: desktop and application sharing need an X11 session (at sign-in, choose \"Ubuntu on Xorg\" or \"GNOME on Xorg\"). File transfer works.",
    "screen.no_display": "There is no screen here (no display), so only file transfer is possible.",
    "picker.title": "Tandem Support Manager — choose an application",
    "picker.heading": "{name} asks to see one of your applications",
    "picker.intro": "Choose the window to share. Only that window is shown; you can stop at any time.",
    "picker.share": "Share this window",
    "picker.cancel": "Cancel",
    "picker.none": "No application window is open.",
    "picker.closed": "The shared window \"{title}\" was closed: sharing it has stopped.",
}
