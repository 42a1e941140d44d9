"""Sans-I/O session logic: plain objects that take inputs and return what to send.

Nothing in this package imports asyncio, Starlette or a database driver.
"""
