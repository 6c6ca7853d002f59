import { Injectable } from '@nestjs/common';

/**
 * The offset the limit scripts add to Redis server time: always 0 in service. Tests move it to drive budget periods
 * across a day, week or month boundary without sleeping (SPEC §13 asks for an injectable clock).
 */
@Injectable()
export class LimitsClock {
  offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }
}
