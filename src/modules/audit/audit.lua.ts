/**
 * The audit buffer's scripts. Every key shares the `{prefix:audit}` hash tag (RedisKeys), so each script
 * runs on one Redis Cluster slot. Lists are moved in slices of 500 to stay below Lua's unpack limit.
 */

/**
 * Appends records unless this push id was already applied (a retried push after a timeout), keeping the
 * buffer at most ARGV[1] long: records past the cap are dropped and counted.
 * KEYS: 1 buffer, 2 dropped counter, 3 push marker. ARGV: 1 cap, 2 marker ttl ms, 3.. records.
 * Returns {buffer length, dropped, 1 if this push was a repeat}.
 */
export const PUSH_LUA = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then
  return {redis.call('LLEN', KEYS[1]), 0, 1}
end
local cap = tonumber(ARGV[1])
local len = redis.call('LLEN', KEYS[1])
local n = #ARGV - 2
local room = cap - len
if room < 0 then room = 0 end
local push = math.min(room, n)
local i = 3
while i < 3 + push do
  local last = math.min(i + 499, 2 + push)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
local dropped = n - push
if dropped > 0 then redis.call('INCRBY', KEYS[2], dropped) end
return {len + push, dropped, 0}
`;

/**
 * Moves up to `maxCount` records (and about `maxBytes` bytes) from the head of KEYS[1] to the tail of
 * KEYS[3], in slices of 500; leaves `moved` and `bytes` set.
 */
const MOVE = `
local moved, bytes = 0, 0
while moved < maxCount and bytes < maxBytes do
  local items = redis.call('LRANGE', KEYS[1], 0, math.min(500, maxCount - moved) - 1)
  if #items == 0 then break end
  local k = #items
  for j = 1, #items do
    bytes = bytes + #items[j]
    if bytes >= maxBytes then k = j break end
  end
  redis.call('RPUSH', KEYS[3], unpack(items, 1, k))
  redis.call('LTRIM', KEYS[1], k, -1)
  moved = moved + k
  if k < #items then break end
end
`;

/**
 * Takes a batch. First a batch whose lease ran out (its worker died or gave up) is leased again, keeping its
 * object key; otherwise up to ARGV[2] records (and about ARGV[3] bytes) move from the buffer into a new
 * batch list named by ARGV[4], registered in the in-flight set with its lease expiry (Redis time). The
 * caller keeps a script short (Redis serves nobody else while it runs) by taking a slice and then filling
 * the batch with FILL_LUA.
 * KEYS: 1 buffer, 2 in-flight zset, 3 new batch list. ARGV: 1 lease ms, 2 max records, 3 max bytes, 4 new
 * batch id. Returns {batch id, 1 if resumed, records moved, bytes moved} or {} when there is nothing to take.
 */
export const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
if #stale > 0 then
  redis.call('ZADD', KEYS[2], now + lease, stale[1])
  return {stale[1], 1, 0, 0}
end
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
${MOVE}
if moved == 0 then return {} end
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
return {ARGV[4], 0, moved, bytes}
`;

/**
 * Adds up to ARGV[2] more records (about ARGV[3] bytes) from the buffer to a batch this worker just took,
 * while it is still in flight (a batch whose lease ran out belongs to whoever resumes it).
 * KEYS: 1 buffer, 2 in-flight zset, 3 batch list. ARGV: 1 batch id, 2 max records, 3 max bytes.
 * Returns {records moved, bytes moved}.
 */
export const FILL_LUA = `
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0, 0} end
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
${MOVE}
return {moved, bytes}
`;

/** Extends (ARGV[2] ms from now) or ends (ARGV[2] = 0: due at once) a batch's lease, if it is still in flight. KEYS: 1 in-flight. ARGV: 1 batch id, 2 ms. */
export const LEASE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
local score = 0
if ms > 0 then score = now + ms end
return redis.call('ZADD', KEYS[1], 'XX', 'CH', score, ARGV[1])
`;

/** A batch is stored: its records leave Redis. KEYS: 1 batch list, 2 in-flight. ARGV: 1 batch id. */
export const ACK_LUA = `
redis.call('DEL', KEYS[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
`;
