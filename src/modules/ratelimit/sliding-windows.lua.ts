/**
 * The sliding windows every per-minute limit counts in, as Lua functions prepended to the scripts that use them
 * (a key's limits in admission.lua.ts, a provider quota in the routing script): requests as a sorted set of
 * Redis-time timestamps over the last 60 s, tokens as per-second buckets (a hash) over the last 60 whole seconds.
 * `now` is Redis server time in ms, read once by the script.
 */
export const WINDOWS_LUA = `
local WINDOW = 60000
-- requests in the last minute (older ones trimmed) and ms until the oldest leaves the window (0: none)
local function requestsInWindow(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - WINDOW)
  local count = redis.call('ZCARD', key)
  local resetMs = 0
  if count > 0 then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    resetMs = tonumber(oldest[2]) + WINDOW - now
  end
  return count, resetMs
end
local function takeRequest(key, now, member)
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, WINDOW + 1000)
end
-- tokens charged in the last 60 whole seconds (older buckets dropped) and ms until the oldest bucket leaves (0: none)
local function tokensInWindow(key, now)
  local sec = math.floor(now / 1000)
  local buckets = redis.call('HGETALL', key)
  local used, oldestSec = 0, nil
  for i = 1, #buckets, 2 do
    local s = tonumber(buckets[i])
    if s <= sec - 60 then
      redis.call('HDEL', key, buckets[i])
    else
      used = used + tonumber(buckets[i + 1])
      if oldestSec == nil or s < oldestSec then oldestSec = s end
    end
  end
  local resetMs = 0
  if oldestSec ~= nil then resetMs = (oldestSec + 60) * 1000 - now end
  return used, resetMs
end
local function chargeTokens(key, now, tokens)
  redis.call('HINCRBY', key, math.floor(now / 1000), tokens)
  redis.call('PEXPIRE', key, 61000)
end
`;
