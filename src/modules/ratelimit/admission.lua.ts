import { WINDOWS_LUA } from '#src/modules/ratelimit/sliding-windows.lua';

/**
 * The admission script: one round trip admits a call against the limits of its budget subjects — the API key
 * and, when the key belongs to a team with limits, the team (SPEC §13) — or refuses it without using anything.
 * Per subject: the rate limit (a true sliding window of request timestamps over Redis server time), the token
 * limit (per-second token buckets over the last 60 s) and the budget (spend + open reservations + this call's
 * worst case ≤ budget; the call must fit what is left of every subject's budget). All keys share one hash tag
 * (a team's keys use the team's), so it runs on Redis Cluster.
 *
 * The budget period a call counts in is taken here, once, from Redis server time: per subject the client passes
 * the keys of two candidate periods A and B (the same period twice away from a boundary) and their bounds; the
 * script picks the period `now` falls in and returns it with `now`, and the call carries both to settlement and
 * billing. When `now` is in neither (a pod clock far off) it answers 'clock' with `now`, and the client asks
 * again with candidates around Redis time. Reservations are per period; the period's running reserved total is
 * kept exact on reserve, settle, release and lapse, so admission never reads every open reservation.
 *
 * KEYS, per subject i (10 each): requests zset, token buckets hash,
 *       period A: spend, reservations hash, reservation expiry zset, reserved total; period B: the same
 * ARGV: 1 call id, 2 worst-case prompt nanos, 3 nanos per output token (decimal), 4 output tokens wanted,
 *       5 minimum useful output, 6 shorten (1) or refuse (0), 7 reservation TTL ms, 8 clock offset ms (0; tests),
 *       then per subject i (6 each): rate limit (-1 none), tokens per minute (-1 none), budget nanos (-1 none),
 *       start of A (ms), start of B (ms; = start of A when A = B), end of B (ms)
 *
 * Returns {status, who, now, period of subject 1 (0 = A, 1 = B), period of subject 2, a, b,
 *          then per subject (4 each): requests remaining (-1), ms until the request window frees a slot,
 *          tokens used in the window (-1), ms until the token window drops its oldest bucket}:
 *   'ok':      a = output limit (-1 when no budget), b = lowered (1/0)
 *   'rate':    subject `who` is at its rate limit; a = retry after ms
 *   'tokens':  subject `who` is at its token limit; a = retry after ms
 *   'budget':  subject `who` has the least left; a = nanos left (may be negative), b = worst case of the call
 *   'rebuild': subject `who`'s period spend counter is missing; rebuild it and try again
 *   'clock':   Redis time is outside subject `who`'s candidate periods; ask again around `now`
 */
export const ADMIT_LUA = `${WINDOWS_LUA}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[8])
local callId = ARGV[1]
local window = 60000
local n = #KEYS / 10
local out = {'ok', 0, now, 0, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0}
local sub = {}
for i = 1, n do
  local k, a = 10 * (i - 1), 8 + 6 * (i - 1)
  if now < tonumber(ARGV[a + 4]) or now >= tonumber(ARGV[a + 6]) then
    out[1], out[2] = 'clock', i
    return out
  end
  local m = 0
  if now >= tonumber(ARGV[a + 5]) then m = 1 end
  out[3 + i] = m
  sub[i] = {
    requests = KEYS[k + 1], tokens = KEYS[k + 2],
    spend = KEYS[k + 3 + 4 * m], resv = KEYS[k + 4 + 4 * m], resvExp = KEYS[k + 5 + 4 * m], resvTotal = KEYS[k + 6 + 4 * m],
    rate = tonumber(ARGV[a + 1]), tpm = tonumber(ARGV[a + 2]), budget = tonumber(ARGV[a + 3])
  }
end

-- every window is checked before any is taken
for i = 1, n do
  local s, o = sub[i], 8 + 4 * (i - 1)
  if s.rate >= 0 then
    local count, resetMs = requestsInWindow(s.requests, now)
    if count >= s.rate then
      local retry = resetMs
      if count == 0 or s.rate == 0 then retry = window end
      out[1], out[2], out[6], out[o], out[o + 1] = 'rate', i, retry, 0, resetMs
      return out
    end
    out[o], out[o + 1] = s.rate - count - 1, resetMs
  end
  if s.tpm >= 0 then
    local used, tokenResetMs = tokensInWindow(s.tokens, now)
    if used >= s.tpm then
      local retry = tokenResetMs
      if s.tpm == 0 or retry <= 0 then retry = window end
      out[1], out[2], out[6], out[o + 2], out[o + 3] = 'tokens', i, retry, used, tokenResetMs
      return out
    end
    out[o + 2], out[o + 3] = used, tokenResetMs
  end
end

local promptNanos = tonumber(ARGV[2])
local perToken = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local worst = math.ceil(promptNanos + wanted * perToken)
local left, tightest = nil, 0
for i = 1, n do
  local s = sub[i]
  if s.budget >= 0 then
    local spend = redis.call('GET', s.spend)
    if not spend then
      out[1], out[2] = 'rebuild', i
      return out
    end
    -- reservations whose pod died lapse after the TTL (a bounded number per admission)
    local expired = redis.call('ZRANGEBYSCORE', s.resvExp, '-inf', now, 'LIMIT', 0, 100)
    for _, id in ipairs(expired) do
      local v = redis.call('HGET', s.resv, id)
      if v then
        redis.call('HDEL', s.resv, id)
        redis.call('DECRBY', s.resvTotal, v)
      end
      redis.call('ZREM', s.resvExp, id)
    end
    local l = s.budget - tonumber(spend) - tonumber(redis.call('GET', s.resvTotal) or '0')
    if s.budget == 0 then
      out[1], out[2], out[6], out[7] = 'budget', i, l, worst
      return out
    end
    if left == nil or l < left then left, tightest = l, i end
  end
end

local outputLimit, lowered, reserve = -1, 0, 0
if left ~= nil then
  if worst <= left then
    outputLimit, reserve = wanted, worst
  else
    local fits = -1
    if ARGV[6] == '1' and perToken > 0 then fits = math.floor((left - promptNanos) / perToken) end
    if fits < tonumber(ARGV[5]) then
      out[1], out[2], out[6], out[7] = 'budget', tightest, left, worst
      return out
    end
    outputLimit, lowered, reserve = fits, 1, math.ceil(promptNanos + fits * perToken)
  end
end

local ttl = tonumber(ARGV[7])
for i = 1, n do
  local s, o = sub[i], 8 + 4 * (i - 1)
  if s.rate >= 0 then
    takeRequest(s.requests, now, callId)
    if out[o + 1] <= 0 then out[o + 1] = window end
  end
  if s.budget >= 0 then
    redis.call('HSET', s.resv, callId, reserve)
    redis.call('INCRBY', s.resvTotal, reserve)
    redis.call('ZADD', s.resvExp, now + ttl, callId)
    for _, key in ipairs({s.resv, s.resvExp, s.resvTotal}) do redis.call('PEXPIRE', key, 2 * ttl + 60000) end
  end
end
out[6], out[7] = outputLimit, lowered
return out
`;

/**
 * Gives back what an admission took, by call id: the request-window slot and the reservation in either
 * candidate period, of every subject. Used when the client stopped waiting for the admission's answer (a command
 * timeout; sent on the same connection, so Redis runs it after the admission if that ever ran) and when a
 * routed call is refused after admission.
 * KEYS, per subject (7 each): requests zset, period A reservations hash, expiry zset, total; period B: the same.
 * ARGV: 1 call id
 */
export const RELEASE_LUA = `
local callId = ARGV[1]
for s = 0, #KEYS - 7, 7 do
  redis.call('ZREM', KEYS[s + 1], callId)
  for i = s + 2, s + 5, 3 do
    local v = redis.call('HGET', KEYS[i], callId)
    if v then
      redis.call('HDEL', KEYS[i], callId)
      redis.call('DECRBY', KEYS[i + 2], v)
    end
    redis.call('ZREM', KEYS[i + 1], callId)
  end
end
return 1
`;

/**
 * Settles a call, per subject: releases its reservation and, only when this removed it (so at most once per call,
 * with no per-call state kept after), adds its real cost to the period counter (when the counter exists: a
 * missing one is rebuilt from PostgreSQL plus the unbilled markers) and marks it unbilled until the billing
 * processor has written it. Charges the call's tokens to the subject's token window. Then, for a subject with a
 * budget, records each alert threshold the period's spend has reached and that no settle recorded before
 * (HSETNX: exactly one settle across all pods reports each threshold of each period).
 *
 * KEYS, per subject (7 each): reservations hash, reservation expiry zset, reserved total, period spend, period
 *       unbilled hash, token buckets hash, period alerted-thresholds hash
 * ARGV: 1 call id, 2 cost nanos, 3 tokens, 4 unbilled TTL ms, 5 clock offset ms,
 *       then per subject (4 each): track spend (1/0), charge tokens (1/0), budget nanos (-1 none),
 *       alert thresholds (comma-separated fractions; empty for none)
 * Returns per subject: applied (1 when the cost went into the counter, else 0 and billing adds it),
 *       the spend after (nanos as a string, '' when unknown), the thresholds newly reached (comma-separated).
 */
export const SETTLE_LUA = `${WINDOWS_LUA}
local callId = ARGV[1]
local cost = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
local out = {}
for s = 0, #KEYS / 7 - 1 do
  local k, a = 7 * s, 5 + 4 * s
  local applied, spent, crossed = 0, '', ''
  if ARGV[a + 1] == '1' then
    local v = redis.call('HGET', KEYS[k + 1], callId)
    if v then
      redis.call('HDEL', KEYS[k + 1], callId)
      redis.call('DECRBY', KEYS[k + 3], v)
      redis.call('ZREM', KEYS[k + 2], callId)
      if redis.call('EXISTS', KEYS[k + 4]) == 1 then redis.call('INCRBY', KEYS[k + 4], cost) end
      redis.call('HSET', KEYS[k + 5], callId, cost)
      redis.call('PEXPIRE', KEYS[k + 5], tonumber(ARGV[4]))
      applied = 1
    end
    local budget = tonumber(ARGV[a + 3])
    local counter = redis.call('GET', KEYS[k + 4])
    if counter then
      spent = counter
      if budget > 0 and ARGV[a + 4] ~= '' then
        for threshold in string.gmatch(ARGV[a + 4], '[^,]+') do
          if tonumber(counter) >= tonumber(threshold) * budget and redis.call('HSETNX', KEYS[k + 7], threshold, counter) == 1 then
            if crossed ~= '' then crossed = crossed .. ',' end
            crossed = crossed .. threshold
          end
        end
        redis.call('PEXPIRE', KEYS[k + 7], tonumber(ARGV[4]))
      end
    end
  end
  if ARGV[a + 2] == '1' and tokens > 0 then
    local t = redis.call('TIME')
    chargeTokens(KEYS[k + 6], tonumber(t[1]) * 1000 + tonumber(ARGV[5]), tokens)
  end
  table.insert(out, applied)
  table.insert(out, spent)
  table.insert(out, crossed)
end
return out
`;

/**
 * The billing processor's settle for calls whose cost did not reach the counter at settlement (the settle
 * failed, the call was admitted fail-open, the key had no budget then, the reservation lapsed). Run inside
 * the transaction that inserts the calls' usage rows, before commit, and only for rows inserted now. A call
 * whose unbilled marker exists was settled already (a settle that succeeded though its caller saw an error)
 * and is skipped; otherwise its reservation (if still open) is dropped so a late settle cannot apply it
 * again, its cost is added to the counter if the counter exists, and its unbilled marker is set, exactly as a
 * settle does, so a rebuild running meanwhile counts it once.
 * KEYS: 1 period spend, 2 period unbilled hash, 3 reservations hash, 4 expiry zset, 5 reserved total
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
 * Keeps an open stream's reservation alive, and its period's reservation keys with it, for every subject.
 * KEYS, per subject (3 each): expiry zset, reservations hash, reserved total. ARGV: 1 call id, 2 TTL ms, 3 clock offset ms.
 */
export const REFRESH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
local ttl = tonumber(ARGV[2])
local kept = 0
for s = 0, #KEYS - 3, 3 do
  kept = kept + redis.call('ZADD', KEYS[s + 1], 'XX', 'CH', now + ttl, ARGV[1])
  if redis.call('HEXISTS', KEYS[s + 2], ARGV[1]) == 1 then
    for i = 1, 3 do redis.call('PEXPIRE', KEYS[s + i], 2 * ttl + 60000) end
  end
end
return kept
`;

/**
 * Rebuilds a period counter (run by one pod under a lock): the PostgreSQL spend plus every unbilled marker that
 * PostgreSQL did not already contain; markers PostgreSQL contains are cleared. Without `force` it only creates a
 * missing counter; with it (the periodic reconcile, a budget change) it replaces the counter's value.
 * KEYS: 1 period spend, 2 period unbilled hash.
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
 * A subject's period counter and its live reserved total (reservations of dead pods, past their expiry, are left
 * out even before the next admission reaps them), read atomically for `GET /gateway/key`.
 * KEYS: 1 reservations hash, 2 reservation expiry zset, 3 reserved total, 4 period spend. ARGV: 1 clock offset ms.
 * Returns {spend or nil, reserved nanos}.
 */
export const SPEND_VIEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local reserved = tonumber(redis.call('GET', KEYS[3]) or '0')
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then reserved = reserved - tonumber(v) end
end
return {redis.call('GET', KEYS[4]), tostring(math.max(0, reserved))}
`;
