"""Several relay nodes sharing live sessions, on Redis and a shared store.

With a ``redis://`` broker every relay process is a node of one cluster (a
cluster of one, alone). The desk is a replicated state machine:

- **One inbox.** A node turns every input it receives (a client's message, a
  connection coming or going, a customer joining, a pairing code, an admin's
  change) into an entry of one Redis Stream, ``tandem:inbox``
  (`node.Node.submit`). Every node reads every entry, in order, and applies it
  to its own copy of the desk (`replica.Replica`): same entries, same order,
  same state. An entry's time is its Redis id; the ids and session numbers it
  makes are derived from that id with the secret key.
- **One owner.** The node holding the lease (``tandem:owner``, taken with a
  fencing token, renewed every 0.75 s, 3 s long) publishes what the entries
  produced, in one Lua step that first checks the lease (a node that lost it,
  even one cut off from Redis, can never publish after its successor), and
  writes the records, each batch with the entry it reached, so the store
  keeps every record once (`store.record_entries`). Every node keeps what its
  own entries produced until the owner has published and stored it: the next
  owner publishes what the dead one had not, and nothing twice.
- **Frames** are checked against the desk of the node they enter and
  published there, with the sender's resume seq in the same step.
- **Resume ids** live in Redis, so a client resumes on any node. A node that
  dies has its connections closed for it by the owner (nodes mark themselves
  alive every 0.75 s); a node that loses Redis tells its clients
  (``unavailable``) and closes them, so they resume through another node.
- **Joining.** The owner writes a signed snapshot of the desk every 5 s; a
  starting node loads it and applies the entries after it. The cluster's
  first node builds the desk from the store, as a single relay restarting.
"""

from __future__ import annotations


class Unavailable(Exception):
    """This node cannot reach Redis: it takes no new work until it can."""
