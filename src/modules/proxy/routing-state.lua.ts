import { WINDOWS_LUA } from '#src/modules/ratelimit/sliding-windows.lua';

/** How long failures count towards a cooldown. */
export const FAILURE_WINDOW_MS = 60_000;
/** Weight of a new time-to-first-byte sample in a target's average. */
export const LATENCY_ALPHA = 0.3;
/** A target's average counts half as much after this long without a sample, so an idle slow target is tried again. */
export const LATENCY_HALF_LIFE_MS = 60_000;
/** A target without a sample for this long is unknown again (and tried first under `latency`). */
export const LATENCY_TTL_MS = 10 * 60_000;

/**
 * Picks the target of a routed call's attempt (SPEC §11), in the same round trip as the call's admission: the
 * client sends both in one pipelined write. Every key shares the `{prefix:rt}` hash tag, so it runs on Redis Cluster.
 *
 * KEYS: per target 5: cooldown end, calls in flight (zset by start), latency average (hash v, t),
 *       provider quota requests (zset), provider quota tokens (hash).
 * ARGV: 1 call id, 2 mode: 1 = the call's first pick (leave cooling targets out, order each priority group by
 *       the strategy's live stat), 0 = a retry (the targets as given); 3 strategy: 0 as given, 1 fewest in
 *       flight, 2 lowest time to first byte; 4 count the call in flight (1/0); 5 ms after which a call in
 *       flight is forgotten (its pod died); then per target 3: priority, requests per minute (-1 none),
 *       tokens per minute (-1 none).
 * The targets come in the client's order (priority groups, each drawn by weight or sorted by price); a stat
 * tie keeps it. With every target cooling, the one whose cooldown ends first is the only candidate.
 * Walks the order and takes a quota request slot of the first target with room (counting it in flight).
 * Returns {position picked in the order (1-based; 0: none had room), some target was at quota (1/0), order...}
 * with the order as 1-based target numbers.
 */
export const PICK_LUA = `${WINDOWS_LUA}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS / 5
local strategy, track, busyMax = tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local order = {}
if ARGV[2] == '1' then
  local warm, soonest, soonestEnd = {}, 1, nil
  for i = 1, n do
    local k = (i - 1) * 5
    local cool = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
    if cool > now then
      if soonestEnd == nil or cool < soonestEnd then soonest, soonestEnd = i, cool end
    else
      local stat = 0
      if strategy == 1 then
        redis.call('ZREMRANGEBYSCORE', KEYS[k + 2], '-inf', now - busyMax)
        stat = redis.call('ZCARD', KEYS[k + 2])
      elseif strategy == 2 then
        local v = redis.call('HMGET', KEYS[k + 3], 'v', 't')
        if v[1] then
          stat = tonumber(v[1]) * math.pow(0.5, math.max(0, now - tonumber(v[2])) / ${LATENCY_HALF_LIFE_MS})
        end
      end
      warm[#warm + 1] = {i = i, prio = tonumber(ARGV[3 + 3 * i]), stat = stat}
    end
  end
  if #warm == 0 then warm = {{i = soonest, prio = 0, stat = 0}} end
  table.sort(warm, function(a, b)
    if a.prio ~= b.prio then return a.prio < b.prio end
    if a.stat ~= b.stat then return a.stat < b.stat end
    return a.i < b.i
  end)
  for _, c in ipairs(warm) do order[#order + 1] = c.i end
else
  for i = 1, n do order[i] = i end
end
local atQuota = 0
for pos, i in ipairs(order) do
  local k = (i - 1) * 5
  local rpm, tpm = tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
  local room = true
  if rpm >= 0 and requestsInWindow(KEYS[k + 4], now) >= rpm then room = false end
  if room and tpm >= 0 and tokensInWindow(KEYS[k + 5], now) >= tpm then room = false end
  if room then
    if rpm >= 0 then takeRequest(KEYS[k + 4], now, ARGV[1]) end
    if track then
      redis.call('ZADD', KEYS[k + 2], now, ARGV[1])
      redis.call('PEXPIRE', KEYS[k + 2], busyMax)
    end
    return {pos, atQuota, unpack(order)}
  end
  atQuota = 1
end
return {0, atQuota, unpack(order)}`;

/**
 * An attempt ended. KEYS: 1 calls in flight, 2 latency average, 3 provider quota tokens.
 * ARGV: 1 call id, 2 time to first byte ms (-1: none, a failure), 3 tokens to charge to the quota (0: none).
 */
export const ENDED_LUA = `${WINDOWS_LUA}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
local sample = tonumber(ARGV[2])
if sample >= 0 then
  local v = tonumber(redis.call('HGET', KEYS[2], 'v') or '-1')
  if v >= 0 then v = v + ${LATENCY_ALPHA} * (sample - v) else v = sample end
  redis.call('HSET', KEYS[2], 'v', string.format('%.3f', v), 't', now)
  redis.call('PEXPIRE', KEYS[2], ${LATENCY_TTL_MS})
end
local tokens = tonumber(ARGV[3])
if tokens > 0 then chargeTokens(KEYS[3], now, tokens) end
return 1`;

/**
 * A retryable failure of a target. KEYS: 1 its recent failures (zset by Redis time), 2 its cooldown (the end, ms).
 * ARGV: 1 failures that start a cooldown, 2 cooldown ms, 3 the provider's Retry-After ms (0: none), 4 a unique
 * member. Returns the cooldown's end when this failure started one, else 0.
 */
export const FAILED_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local threshold, cooldown, retryAfter = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if retryAfter > 0 then
  redis.call('SET', KEYS[2], now + retryAfter, 'PX', retryAfter)
  redis.call('DEL', KEYS[1])
  return now + retryAfter
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - ${FAILURE_WINDOW_MS})
redis.call('PEXPIRE', KEYS[1], ${FAILURE_WINDOW_MS})
if redis.call('ZCARD', KEYS[1]) >= threshold then
  redis.call('SET', KEYS[2], now + cooldown, 'PX', cooldown)
  redis.call('DEL', KEYS[1])
  return now + cooldown
end
return 0`;
