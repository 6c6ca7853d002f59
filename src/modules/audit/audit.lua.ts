/**
 * The audit buffer's scripts. Every key shares the `{prefix:audit}` hash tag (RedisKeys), so each script
 * runs on one Redis Cluster slot. Lists are moved in slices of 500 to stay below Lua's unpack limit.
 */

/**
 * Appends records unless this push id was already applied (a retried push after a timeout), keeping the
 * buffer at most ARGV[1] records long and everything the audit holds in Redis (buffer and batches not yet
 * stored) at most ARGV[2] bytes: records past either cap are dropped and counted. The byte count (KEYS[4])
 * grows here by each record's length and shrinks when a batch is acknowledged.
 * KEYS: 1 buffer, 2 dropped counter, 3 push marker, 4 byte count. ARGV: 1 cap, 2 byte cap, 3 marker ttl ms,
 * 4.. records. Returns {buffer length, dropped, 1 if this push was a repeat}.
 */
export const PUSH_LUA = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
  return {redis.call('LLEN', KEYS[1]), 0, 1}
end
local cap = tonumber(ARGV[1])
local room = tonumber(ARGV[2]) - tonumber(redis.call('GET', KEYS[4]) or '0')
local len = redis.call('LLEN', KEYS[1])
local n = #ARGV - 3
local push, added = 0, 0
while push < n and len + push < cap do
  local size = #ARGV[4 + push]
  if added + size > room then break end
  added = added + size
  push = push + 1
end
local i = 4
while i < 4 + push do
  local last = math.min(i + 499, 3 + push)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
if added > 0 then redis.call('INCRBY', KEYS[4], added) end
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
 * Takes a batch under a new lease token (ARGV[5]), which the batch-meta hash (KEYS[4]) keeps as `<id>:token`
 * with the batch's record count and bytes: only the holder of the current token may fill, renew, give up or
 * acknowledge the batch. First a batch whose lease ran out (its worker died or gave up) is leased again with
 * the new token, keeping its object key; otherwise up to ARGV[2] records (and about ARGV[3] bytes) move from
 * the buffer into a new batch list named by ARGV[4], registered in the in-flight set with its lease expiry
 * (Redis time). The caller keeps a script short (Redis serves nobody else while it runs) by taking a slice
 * and then filling the batch with FILL_LUA.
 * KEYS: 1 buffer, 2 in-flight zset, 3 new batch list, 4 batch meta. ARGV: 1 lease ms, 2 max records, 3 max
 * bytes, 4 new batch id, 5 token. Returns {batch id, 1 if resumed, records (-1 when a resumed batch has no
 * recorded count), bytes} or {} when there is nothing to take.
 */
export const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
if #stale > 0 then
  local id = stale[1]
  redis.call('ZADD', KEYS[2], now + lease, id)
  redis.call('HSET', KEYS[4], id .. ':token', ARGV[5])
  local count = redis.call('HGET', KEYS[4], id .. ':count')
  return {id, 1, tonumber(count or '-1'), 0}
end
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
${MOVE}
if moved == 0 then return {} end
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('HSET', KEYS[4], ARGV[4] .. ':token', ARGV[5], ARGV[4] .. ':count', moved, ARGV[4] .. ':bytes', bytes)
return {ARGV[4], 0, moved, bytes}
`;

/** The script prefix that stops unless ARGV[1]'s lease token in the batch meta (KEYS[2]) is ARGV[2]. */
const OWNED = `
if redis.call('HGET', KEYS[2], ARGV[1] .. ':token') ~= ARGV[2] then return 0 end
`;

/**
 * Adds up to ARGV[3] more records (about ARGV[4] bytes) from the buffer to a batch this worker just took,
 * while it still holds the batch's token (a batch whose lease ran out belongs to whoever resumes it), and
 * adds them to the batch's recorded count and bytes.
 * KEYS: 1 buffer, 2 batch meta, 3 batch list. ARGV: 1 batch id, 2 token, 3 max records, 4 max bytes.
 * Returns {records moved, bytes moved}.
 */
export const FILL_LUA = `
if redis.call('HGET', KEYS[2], ARGV[1] .. ':token') ~= ARGV[2] then return {0, 0} end
local maxCount = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[4])
${MOVE}
redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':count', moved)
redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':bytes', bytes)
return {moved, bytes}
`;

/**
 * Extends (ARGV[3] ms from now) or ends (ARGV[3] = 0: due at once) a batch's lease if the caller still holds
 * its token. KEYS: 1 in-flight, 2 batch meta. ARGV: 1 batch id, 2 token, 3 ms. Returns 1 if held, else 0.
 */
export const LEASE_LUA = `${OWNED}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[3])
local score = 0
if ms > 0 then score = now + ms end
redis.call('ZADD', KEYS[1], 'XX', score, ARGV[1])
return 1
`;

/**
 * A batch is stored: its records leave Redis and their bytes leave the byte count, if the caller still holds
 * the batch's token (a worker whose lease was taken over must not delete what the new holder is reading).
 * The count never goes below 0: records buffered before it existed were never added to it.
 * KEYS: 1 batch list, 2 batch meta, 3 in-flight, 4 byte count. ARGV: 1 batch id, 2 token. Returns 1 if
 * acknowledged, 0 if the token no longer holds the batch.
 */
export const ACK_LUA = `${OWNED}
local bytes = tonumber(redis.call('HGET', KEYS[2], ARGV[1] .. ':bytes') or '0')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1] .. ':token', ARGV[1] .. ':count', ARGV[1] .. ':bytes')
if bytes > 0 and redis.call('DECRBY', KEYS[4], bytes) < 0 then redis.call('SET', KEYS[4], 0) end
return 1
`;
