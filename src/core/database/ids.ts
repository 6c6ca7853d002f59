import { v7 as uuidv7 } from 'uuid';

/** New primary keys and call ids are UUIDv7: time-ordered, so inserts stay at the right edge of the index. */
export const newId = (): string => uuidv7();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID_RE.test(s);
