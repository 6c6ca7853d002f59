import { WINDOWS_LUA } from '#src/modules/ratelimit/sliding-windows.lua';

/**
 * The admission script: one round trip admits a call against the key's rate limit (a true sliding window
 * of request timestamps over Redis server time), its token limit (per-second token buckets over the last
 * 60 s) and its budget (spend + open reservations + this call's worst case ≤ budget), or refuses it without
 * using anything. All keys share the API key's hash tag, so it runs on Redis Cluster.
 *
 * The month a call counts in is taken here, once, from Redis server time: the client passes the keys of two
 * candidate months A and B (the same month twice away from a month boundary) and their bounds; the script
 * picks the month `now` falls in and returns it with `now`, and the call carries both to settlement and
 * billing. When `now` is in neither (a pod clock off by more than a day) it answers 'clock' with `now`, and
 * the client asks again with candidates around Redis time. Reservations are per month; the month's running
 * reserved total is kept exact on reserve, settle, release and lapse, so admission never reads every open
 * reservation (its cost does not grow with calls in flight).
 *
 * KEYS: 1 requests zset, 2 token buckets hash,
 *       3..6 month A: spend, reservations hash, reservation expiry zset, reserved total; 7..10 month B: the same
 * ARGV: 1 call id, 2 rate limit (-1 none), 3 tokens per minute (-1 none), 4 budget nanos (-1 none),
 *       5 worst-case prompt nanos, 6 nanos per output token (decimal), 7 output tokens wanted,
 *       8 minimum useful output, 9 shorten (1) or refuse (0), 10 reservation TTL ms,
 *       11 start of A (ms), 12 start of B (ms; = start of A when A = B), 13 end of B (ms)
 *
 * Returns {status, a, b, c, d, e, f, month (0 = A, 1 = B), now ms}:
 *   status 'ok':      a = output limit (-1 when no budget), b = lowered (1/0), c = requests remaining (-1),
 *                     d = ms until the request window frees a slot, e = tokens used in the window (-1), f = ms until the token window drops its oldest bucket
 *   status 'rate':    a = retry after ms, c = 0, d = reset ms
 *   status 'tokens':  a = retry after ms, e = tokens used, f = reset ms
 *   status 'budget':  a = nanos left (may be negative), b = worst case nanos of the call
 *   status 'rebuild': the month's spend counter is missing; rebuild it and try again
 *   status 'clock':   Redis time is outside both candidate months; ask again around `now`
 */
export const ADMIT_LUA = `${WINDOWS_LUA}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(ARGV[11]) or now >= tonumber(ARGV[13]) then return {'clock', 0, 0, 0, 0, 0, 0, 0, now} end
local m = 0
if now >= tonumber(ARGV[12]) then m = 1 end
local spendKey, resv, resvExp, resvTotal = KEYS[3 + 4 * m], KEYS[4 + 4 * m], KEYS[5 + 4 * m], KEYS[6 + 4 * m]
local callId = ARGV[1]
local rateLimit = tonumber(ARGV[2])
local tpmLimit = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local window = 60000

local remaining, resetMs = -1, 0
if rateLimit >= 0 then
  local count
  count, resetMs = requestsInWindow(KEYS[1], now)
  if count >= rateLimit then
    local retry = resetMs
    if count == 0 or rateLimit == 0 then retry = window end
    return {'rate', retry, 0, 0, resetMs, 0, 0, m, now}
  end
  remaining = rateLimit - count - 1
end

local used, tokenResetMs = -1, 0
if tpmLimit >= 0 then
  used, tokenResetMs = tokensInWindow(KEYS[2], now)
  if used >= tpmLimit then
    local retry = tokenResetMs
    if tpmLimit == 0 or retry <= 0 then retry = window end
    return {'tokens', retry, 0, 0, 0, used, tokenResetMs, m, now}
  end
end

local outputLimit, lowered, reserve = -1, 0, 0
if budget >= 0 then
  local spend = redis.call('GET', spendKey)
  if not spend then return {'rebuild', 0, 0, 0, 0, 0, 0, m, now} end
  -- reservations whose pod died lapse after the TTL (a bounded number per admission)
  local expired = redis.call('ZRANGEBYSCORE', resvExp, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(expired) do
    local v = redis.call('HGET', resv, id)
    if v then
      redis.call('HDEL', resv, id)
      redis.call('DECRBY', resvTotal, v)
    end
    redis.call('ZREM', resvExp, id)
  end
  local reserved = tonumber(redis.call('GET', resvTotal) or '0')
  local left = budget - tonumber(spend) - reserved
  local promptNanos = tonumber(ARGV[5])
  local perToken = tonumber(ARGV[6])
  local wanted = tonumber(ARGV[7])
  local worst = math.ceil(promptNanos + wanted * perToken)
  if budget == 0 then return {'budget', left, worst, 0, 0, 0, 0, m, now} end
  if worst <= left then
    outputLimit, reserve = wanted, worst
  elseif ARGV[9] == '1' and perToken > 0 then
    local fits = math.floor((left - promptNanos) / perToken)
    if fits < tonumber(ARGV[8]) then return {'budget', left, worst, 0, 0, 0, 0, m, now} end
    outputLimit, lowered, reserve = fits, 1, math.ceil(promptNanos + fits * perToken)
  else
    return {'budget', left, worst, 0, 0, 0, 0, m, now}
  end
end

if rateLimit >= 0 then
  takeRequest(KEYS[1], now, callId)
  if resetMs <= 0 then resetMs = window end
end
if budget >= 0 then
  local ttl = tonumber(ARGV[10])
  redis.call('HSET', resv, callId, reserve)
  redis.call('INCRBY', resvTotal, reserve)
  redis.call('ZADD', resvExp, now + ttl, callId)
  for _, key in ipairs({resv, resvExp, resvTotal}) do redis.call('PEXPIRE', key, 2 * ttl + 60000) end
end
return {'ok', outputLimit, lowered, remaining, resetMs, used, tokenResetMs, m, now}
`;

/**
 * Gives back what an admission took, by call id, when the client stopped waiting for its answer (a command
 * timeout): the request-window slot and the reservation in either candidate month. Sent on the same
 * connection after the admission, so Redis runs it after the admission if that ever ran.
 * KEYS: 1 requests zset, 2..4 month A reservations hash, expiry zset, total; 5..7 month B: the same. ARGV: 1 call id
 */
export const RELEASE_LUA = `
local callId = ARGV[1]
redis.call('ZREM', KEYS[1], callId)
for i = 2, 5, 3 do
  local v = redis.call('HGET', KEYS[i], callId)
  if v then
    redis.call('HDEL', KEYS[i], callId)
    redis.call('DECRBY', KEYS[i + 2], v)
  end
  redis.call('ZREM', KEYS[i + 1], callId)
end
return 1
`;

/**
 * Settles a call: releases its reservation and, only when this removed it (so at most once per call, with no
 * per-call state kept after), adds its real cost to the month counter (when the counter exists: a missing one
 * is rebuilt from PostgreSQL plus the unbilled markers) and marks it unbilled until the billing processor has
 * written it. Returns 1 when the cost went into the counter, 0 when the reservation was gone (lapsed,
 * released): the billing processor then adds the cost itself (LATE_SETTLE_LUA). Charges the call's tokens to
 * the token window (the call's owner settles once).
 *
 * KEYS: 1 reservations hash, 2 reservation expiry zset, 3 reserved total, 4 month spend, 5 month unbilled hash,
 *       6 token buckets hash
 * ARGV: 1 call id, 2 cost nanos, 3 tokens, 4 track spend (1/0), 5 charge tokens (1/0), 6 unbilled TTL ms
 */
export const SETTLE_LUA = `${WINDOWS_LUA}
local callId = ARGV[1]
local applied = 0
if ARGV[4] == '1' then
  local v = redis.call('HGET', KEYS[1], callId)
  if v then
    redis.call('HDEL', KEYS[1], callId)
    redis.call('DECRBY', KEYS[3], v)
    redis.call('ZREM', KEYS[2], callId)
    local cost = tonumber(ARGV[2])
    if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('INCRBY', KEYS[4], cost) end
    redis.call('HSET', KEYS[5], callId, cost)
    redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[6]))
    applied = 1
  end
end
local tokens = tonumber(ARGV[3])
if ARGV[5] == '1' and tokens > 0 then
  local t = redis.call('TIME')
  chargeTokens(KEYS[6], tonumber(t[1]) * 1000, tokens)
end
return applied
`;

/**
 * The billing processor's settle for calls whose cost did not reach the counter at settlement (the settle
 * failed, the call was admitted fail-open, the key had no budget then, the reservation lapsed). Run inside
 * the transaction that inserts the calls' usage rows, before commit, and only for rows inserted now. A call
 * whose unbilled marker exists was settled already (a settle that succeeded though its caller saw an error)
 * and is skipped; otherwise its reservation (if still open) is dropped so a late settle cannot apply it
 * again, its cost is added to the counter if the counter exists, and its unbilled marker is set, exactly as a
 * settle does, so a rebuild running meanwhile counts it once.
 * KEYS: 1 month spend, 2 month unbilled hash, 3 reservations hash, 4 expiry zset, 5 reserved total
 * ARGV: 1 unbilled TTL ms, then call id and cost nanos pairs. Returns how many calls were added.
 */
export const LATE_SETTLE_LUA = `
local added = 0
local counter = redis.call('EXISTS', KEYS[1]) == 1
for i = 2, #ARGV, 2 do
  local callId, cost = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('HEXISTS', KEYS[2], callId) == 0 then
    local v = redis.call('HGET', KEYS[3], callId)
    if v then
      redis.call('HDEL', KEYS[3], callId)
      redis.call('DECRBY', KEYS[5], v)
    end
    redis.call('ZREM', KEYS[4], callId)
    if counter then redis.call('INCRBY', KEYS[1], cost) end
    redis.call('HSET', KEYS[2], callId, cost)
    added = added + 1
  end
end
if added > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1])) end
return added
`;

/**
 * Keeps an open stream's reservation alive, and its month's reservation keys with it.
 * KEYS: 1 expiry zset, 2 reservations hash, 3 reserved total. ARGV: 1 call id, 2 TTL ms.
 */
export const REFRESH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local kept = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[1])
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 2 * ttl + 60000) end
end
return kept
`;

/**
 * Rebuilds a month counter (run by one pod under a lock): the PostgreSQL spend plus every unbilled marker that
 * PostgreSQL did not already contain; markers PostgreSQL contains are cleared. Without `force` it only creates a
 * missing counter; with it (the periodic reconcile, a budget change) it replaces the counter's value.
 * KEYS: 1 month spend, 2 month unbilled hash.
 * ARGV: 1 PostgreSQL spend nanos, 2 counter TTL ms, 3 force (1/0), 4.. ids already in PostgreSQL.
 * Returns the new total, or -1 when the counter existed and `force` was not given.
 */
export const REBUILD_LUA = `
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local billed = {}
for i = 4, #ARGV do
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
 * A key's month counter and its live reserved total (reservations of dead pods, past their expiry, are left
 * out even before the next admission reaps them), read atomically for `GET /gateway/key`.
 * KEYS: 1 reservations hash, 2 reservation expiry zset, 3 reserved total, 4 month spend.
 * Returns {spend or nil, reserved nanos}.
 */
export const SPEND_VIEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reserved = tonumber(redis.call('GET', KEYS[3]) or '0')
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then reserved = reserved - tonumber(v) end
end
return {redis.call('GET', KEYS[4]), tostring(math.max(0, reserved))}
`;
