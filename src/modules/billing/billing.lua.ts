/**
 * Clears calls' unbilled markers once their usage rows are committed, unless a budget rebuild for that key and
 * month is running (the rebuild then sees the markers and checks PostgreSQL itself, so nothing is counted
 * twice or lost). KEYS: 1 month unbilled hash, 2 rebuild lock. ARGV: the call ids.
 */
export const CLEAR_UNBILLED_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return redis.call('HDEL', KEYS[1], unpack(ARGV))
`;
