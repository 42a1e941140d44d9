"""Application windows on X11 (python-xlib), with or without a window manager.

`list_windows()` gives the top-level application windows (bottom to top, the
Support Manager's own left out), their titles, icons and their rectangles in root
coordinates; `find_window(title)` picks one by a case-insensitive title
substring, or without a title the window the person is working in (the active
one, else the topmost); `window_rect(wid)` re-reads a window's
rectangle (None once it is gone), for captures and input that follow it.
"""

from __future__ import annotations

import os

from Xlib import X
from Xlib import display as xdisplay
from Xlib import error as xerror

from .window import Window, pick

_display: xdisplay.Display | None = None


def _dpy() -> xdisplay.Display:
    global _display
    if _display is None:
        _display = xdisplay.Display(os.environ.get("DISPLAY"))
    return _display


def _title(d: xdisplay.Display, w) -> str:
    try:
        prop = w.get_full_property(d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"))
        if prop and prop.value:
            v = prop.value
            return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        name = w.get_wm_name()
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        return name or ""
    except xerror.XError:
        return ""


def _rect(d: xdisplay.Display, w) -> tuple[int, int, int, int] | None:
    try:
        g = w.get_geometry()
        pos = w.translate_coords(d.screen().root, 0, 0)
        # translate_coords(root → w) gives root's origin in w's frame: negate
        return -pos.x, -pos.y, g.width, g.height
    except xerror.XError:
        return None


def _candidates(d: xdisplay.Display):
    root = d.screen().root
    for name in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST"):  # bottom to top where the WM says so
        prop = root.get_full_property(d.intern_atom(name), X.AnyPropertyType)
        if prop is not None and len(prop.value):
            break
    if prop is not None and len(prop.value):
        return [d.create_resource_object("window", int(wid)) for wid in prop.value]
    # no window manager: top-level children of root that are mapped, or their
    # first child carrying WM_STATE/WM_NAME (reparented frames)
    out = []
    for child in root.query_tree().children:
        try:
            if child.get_attributes().map_state != X.IsViewable:
                continue
        except xerror.XError:
            continue
        out.append(child)
    return out


def _pid(d: xdisplay.Display, w) -> int | None:
    try:
        prop = w.get_full_property(d.intern_atom("_NET_WM_PID"), X.AnyPropertyType)
    except xerror.XError:
        return None
    return int(prop.value[0]) if prop is not None and len(prop.value) else None


def _app(w) -> str:
    try:
        cls = w.get_wm_class()
    except xerror.XError:
        return ""
    return cls[1] if cls else ""


ICON_SIZE = 16


def _icon(d: xdisplay.Display, w) -> bytes | None:
    """The window's ``_NET_WM_ICON`` (ARGB images, each after its width and
    height), the smallest at least ICON_SIZE wide, scaled to ICON_SIZE, as PNG."""
    try:
        prop = w.get_full_property(d.intern_atom("_NET_WM_ICON"), X.AnyPropertyType)
    except xerror.XError:
        return None
    if prop is None or prop.format != 32 or len(prop.value) < 3:
        return None
    data, images, i = prop.value, [], 0
    while i + 2 <= len(data):
        iw, ih = int(data[i]), int(data[i + 1])
        if iw <= 0 or ih <= 0 or iw * ih > len(data) - i - 2:
            break
        images.append((iw, ih, i + 2))
        i += 2 + iw * ih
    if not images:
        return None
    iw, ih, at = min(images, key=lambda m: (m[0] < ICON_SIZE, abs(m[0] - ICON_SIZE)))
    import io

    import numpy as np
    from PIL import Image
    argb = np.asarray(data[at:at + iw * ih], dtype=np.uint32)
    rgba = np.stack([(argb >> 16) & 255, (argb >> 8) & 255, argb & 255, argb >> 24], axis=-1).astype(np.uint8)
    img = Image.fromarray(rgba.reshape(ih, iw, 4), "RGBA")
    if (iw, ih) != (ICON_SIZE, ICON_SIZE):
        img = img.resize((ICON_SIZE, ICON_SIZE), Image.LANCZOS)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _active(d: xdisplay.Display) -> int | None:
    prop = d.screen().root.get_full_property(d.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
    return int(prop.value[0]) if prop is not None and len(prop.value) and prop.value[0] else None


def list_windows(icons: bool = False) -> list[Window]:
    """Bottom to top; with ``icons``, each window's icon where it has one (for the picker)."""
    d = _dpy()
    own = os.getpid()
    windows = []
    for w in _candidates(d):
        if _pid(d, w) == own:  # the indicator: never offered for sharing
            continue
        title = _title(d, w)
        if not title:
            continue
        r = _rect(d, w)
        if r is None or r[2] < 2 or r[3] < 2:
            continue
        windows.append(Window(w.id, title, *r, app=_app(w), icon=_icon(d, w) if icons else None))
    return windows


def find_window(title_substring: str | None) -> Window | None:
    return pick(list_windows(), title_substring, _active(_dpy()))


def window_rect(wid: int) -> tuple[int, int, int, int] | None:
    d = _dpy()
    try:
        w = d.create_resource_object("window", wid)
        if w.get_attributes().map_state != X.IsViewable:
            return None
    except xerror.XError:
        return None
    return _rect(d, w)
