/**
 * Clears a call's unbilled marker once its usage row is committed, unless a budget rebuild for that key and
 * month is running (the rebuild then sees the marker and checks PostgreSQL itself, so nothing is counted
 * twice or lost). KEYS: 1 month unbilled hash, 2 rebuild lock. ARGV: 1 call id.
 */
export const CLEAR_UNBILLED_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
`;
