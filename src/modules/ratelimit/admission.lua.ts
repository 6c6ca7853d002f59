/**
 * The admission script: one round trip admits a call against the key's rate limit (a true sliding window
 * of request timestamps over Redis server time), its token limit (per-second token buckets over the last
 * 60 s) and its budget (spend + open reservations + this call's worst case ≤ budget), or refuses it without
 * using anything. All keys share the API key's hash tag, so it runs on Redis Cluster.
 *
 * KEYS: 1 requests zset, 2 token buckets hash, 3 reservations hash, 4 reservation expiry zset, 5 month spend
 * ARGV: 1 call id, 2 rate limit (-1 none), 3 tokens per minute (-1 none), 4 budget nanos (-1 none),
 *       5 worst-case prompt nanos, 6 nanos per output token (decimal), 7 output tokens wanted,
 *       8 minimum useful output, 9 shorten (1) or refuse (0), 10 reservation TTL ms
 *
 * Returns {status, a, b, c, d, e, f}:
 *   status 'ok':      a = output limit (-1 when no budget), b = lowered (1/0), c = requests remaining (-1),
 *                     d = ms until the request window frees a slot, e = tokens used in the window (-1), f = ms until the token window drops its oldest bucket
 *   status 'rate':    a = retry after ms, c = 0, d = reset ms
 *   status 'tokens':  a = retry after ms, e = tokens used, f = reset ms
 *   status 'budget':  a = nanos left (may be negative), b = worst case nanos of the call
 *   status 'rebuild': the month's spend counter is missing; rebuild it and try again
 */
export const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local callId = ARGV[1]
local rateLimit = tonumber(ARGV[2])
local tpmLimit = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local window = 60000

-- reservations whose pod died: released after the TTL
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end

local remaining, resetMs = -1, 0
if rateLimit >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[1])
  if count > 0 then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    resetMs = tonumber(oldest[2]) + window - now
  end
  if count >= rateLimit then
    local retry = resetMs
    if count == 0 or rateLimit == 0 then retry = window end
    return {'rate', retry, 0, 0, resetMs, 0, 0}
  end
  remaining = rateLimit - count - 1
end

local used, tokenResetMs = -1, 0
if tpmLimit >= 0 then
  local sec = math.floor(now / 1000)
  local buckets = redis.call('HGETALL', KEYS[2])
  used = 0
  local oldestSec = nil
  for i = 1, #buckets, 2 do
    local s = tonumber(buckets[i])
    if s <= sec - 60 then
      redis.call('HDEL', KEYS[2], buckets[i])
    else
      used = used + tonumber(buckets[i + 1])
      if oldestSec == nil or s < oldestSec then oldestSec = s end
    end
  end
  if oldestSec ~= nil then tokenResetMs = (oldestSec + 60) * 1000 - now end
  if used >= tpmLimit then
    local retry = tokenResetMs
    if tpmLimit == 0 or retry <= 0 then retry = window end
    return {'tokens', retry, 0, 0, 0, used, tokenResetMs}
  end
end

local outputLimit, lowered, reserve = -1, 0, 0
if budget >= 0 then
  local spend = redis.call('GET', KEYS[5])
  if not spend then return {'rebuild', 0, 0, 0, 0, 0, 0} end
  local reserved = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[3])) do reserved = reserved + tonumber(v) end
  local left = budget - tonumber(spend) - reserved
  local promptNanos = tonumber(ARGV[5])
  local perToken = tonumber(ARGV[6])
  local wanted = tonumber(ARGV[7])
  local worst = math.ceil(promptNanos + wanted * perToken)
  if budget == 0 then return {'budget', left, worst, 0, 0, 0, 0} end
  if worst <= left then
    outputLimit, reserve = wanted, worst
  elseif ARGV[9] == '1' and perToken > 0 then
    local fits = math.floor((left - promptNanos) / perToken)
    if fits < tonumber(ARGV[8]) then return {'budget', left, worst, 0, 0, 0, 0} end
    outputLimit, lowered, reserve = fits, 1, math.ceil(promptNanos + fits * perToken)
  else
    return {'budget', left, worst, 0, 0, 0, 0}
  end
end

if rateLimit >= 0 then
  redis.call('ZADD', KEYS[1], now, callId)
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  if resetMs <= 0 then resetMs = window end
end
if budget >= 0 then
  redis.call('HSET', KEYS[3], callId, reserve)
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[10]), callId)
end
return {'ok', outputLimit, lowered, remaining, resetMs, used, tokenResetMs}
`;

/**
 * Settles a call once (idempotent per call id): releases its reservation, adds its real cost to the month
 * counter (when the counter exists: a missing one is rebuilt from PostgreSQL plus the unbilled markers) and
 * marks it unbilled until the billing processor has written it, and charges its tokens to the token window.
 *
 * KEYS: 1 reservations hash, 2 reservation expiry zset, 3 month spend, 4 month unbilled hash, 5 settled zset,
 *       6 token buckets hash
 * ARGV: 1 call id, 2 cost nanos, 3 tokens, 4 track spend (1/0), 5 charge tokens (1/0)
 */
export const SETTLE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local callId = ARGV[1]
if redis.call('ZSCORE', KEYS[5], callId) then return 0 end
redis.call('ZADD', KEYS[5], now, callId)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 172800000)
redis.call('PEXPIRE', KEYS[5], 172800000)
redis.call('HDEL', KEYS[1], callId)
redis.call('ZREM', KEYS[2], callId)
if ARGV[4] == '1' then
  local cost = tonumber(ARGV[2])
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('INCRBY', KEYS[3], cost) end
  redis.call('HSET', KEYS[4], callId, cost)
  redis.call('PEXPIRE', KEYS[4], 3456000000)
end
local tokens = tonumber(ARGV[3])
if ARGV[5] == '1' and tokens > 0 then
  local sec = math.floor(now / 1000)
  redis.call('HINCRBY', KEYS[6], sec, tokens)
  redis.call('PEXPIRE', KEYS[6], 61000)
end
return 1
`;

/** Keeps an open stream's reservation alive. KEYS: 1 expiry zset. ARGV: 1 call id, 2 TTL ms. */
export const REFRESH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
`;

/**
 * Rebuilds a missing month counter (run by one pod under a lock): the PostgreSQL spend plus every unbilled
 * marker that PostgreSQL did not already contain; markers PostgreSQL contains are cleared.
 * KEYS: 1 month spend, 2 month unbilled hash. ARGV: 1 PostgreSQL spend nanos, 2 counter TTL ms, 3.. ids already in PostgreSQL
 */
export const REBUILD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local billed = {}
for i = 3, #ARGV do
  billed[ARGV[i]] = true
  redis.call('HDEL', KEYS[2], ARGV[i])
end
local total = tonumber(ARGV[1])
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  if not billed[entries[i]] then total = total + tonumber(entries[i + 1]) end
end
redis.call('SET', KEYS[1], total, 'PX', tonumber(ARGV[2]))
return total
`;

/**
 * A key's month counter and its live reservations (those of dead pods, past their expiry, are left out even
 * before the next admission reaps them), read atomically for `GET /gateway/key`.
 * KEYS: 1 reservations hash, 2 reservation expiry zset, 3 month spend. Returns {spend or nil, reserved nanos}.
 */
export const SPEND_VIEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reserved = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then reserved = reserved + tonumber(v) end
end
return {redis.call('GET', KEYS[3]), tostring(reserved)}
`;
