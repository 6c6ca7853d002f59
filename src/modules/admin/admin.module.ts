import { Module } from '@nestjs/common';

/** The admin API (SPEC §4): controllers and DTOs built on the other modules' services. */
@Module({})
export class AdminModule {}
