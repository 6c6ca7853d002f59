/** Injection tokens of the three Redis connections (see redis.factory.ts for what each is for). */
export const HOT_REDIS = Symbol('HOT_REDIS');
export const BULL_REDIS = Symbol('BULL_REDIS');
export const SUBSCRIBER_REDIS = Symbol('SUBSCRIBER_REDIS');
