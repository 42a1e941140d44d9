"""The cluster's Lua scripts: each is one atomic step in Redis.

Keys (see `server.cluster`): ``tandem:inbox`` (the stream every node appends
inputs to), ``tandem:owner`` (the lease: ``NODE:FENCE``), ``tandem:fence``
(the counter fencing tokens come from), ``tandem:published`` (the last inbox
entry whose output is published), ``tandem:resume:KEY`` (a connection's
channel and the last client seq the cluster took from it).
"""

from __future__ import annotations

from ..broker.redis import PUBLISH_FUNCTION

SUBMIT = """
-- KEYS: inbox, resume key (or '' when the input has no client seq)
-- ARGV: kind, data, node, request, client seq, inbox max length
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*',
                      'k', ARGV[1], 'd', ARGV[2], 'n', ARGV[3], 'r', ARGV[4])
if KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'seq', ARGV[5])
end
return id
"""
"""Append one input to the inbox. A client's message also moves its
connection's resume seq, in the same step: a client that resumes on another
node is told exactly what the cluster has taken."""

PUBLISH_BATCH = PUBLISH_FUNCTION + """
-- KEYS: owner, published, then a stream key and its meta key per payload
-- ARGV: fence token, last entry id, max n, max bytes, expiry, grace ms, cap bytes, then kind and body per payload
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NOTOWNER this node no longer holds the lease')
end
local max_n, max_bytes, expiry = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local grace_ms, cap_bytes = tonumber(ARGV[6]), tonumber(ARGV[7])
local k = 3
for i = 8, #ARGV, 2 do
  publish(KEYS[k], KEYS[k + 1], ARGV[i], ARGV[i + 1], max_n, max_bytes, expiry, grace_ms, cap_bytes)
  k = k + 2
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
"""The owner publishes what a run of inbox entries produced, all or nothing,
and only while it holds the lease (fencing: a node that lost it, even one cut
off from Redis for a while, can never publish after its successor)."""

PUBLISH_FRAME = PUBLISH_FUNCTION + """
-- KEYS: resume key, then a stream key and its meta key per receiver
-- ARGV: client seq, max n, max bytes, expiry, grace ms, cap bytes, body
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1])
end
local max_n, max_bytes, expiry = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local grace_ms, cap_bytes = tonumber(ARGV[5]), tonumber(ARGV[6])
for k = 2, #KEYS, 2 do
  publish(KEYS[k], KEYS[k + 1], 'b', ARGV[7], max_n, max_bytes, expiry, grace_ms, cap_bytes)
end
return 1
"""
"""A binary frame to its receivers, from the node it entered, and the
sender's resume seq with it: a frame is never relayed twice after a resume."""

TAKE_LEASE = """
-- KEYS: owner, fence; ARGV: node, lease ms
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
"""

START = """
-- KEYS: owner, fence, snapshot, nodes; ARGV: node, lease ms, alive key prefix
-- (the alive keys are named from the node set: fine on one Redis, not Redis Cluster)
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
for _, n in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if redis.call('EXISTS', ARGV[3] .. n) == 1 then return false end
  redis.call('SREM', KEYS[4], n)
end
local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('SADD', KEYS[4], ARGV[1])
return token
"""
"""A starting node is the cluster's first when no node holds the lease and
none is alive (a cluster starting, or starting again after every node
stopped): it takes the lease and drops the old snapshot, and builds the desk
from the store, as a single relay does when it restarts. Otherwise it joins."""

RENEW_LEASE = """
-- KEYS: owner; ARGV: token, lease ms
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

TAKE_RESUME = """
-- KEYS: resume key; ARGV: none. A resume id is good once.
local v = redis.call('HMGET', KEYS[1], 'channel', 'seq')
redis.call('DEL', KEYS[1])
return v
"""
