import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TeamEntity } from '#src/modules/teams/team.entity';
import { TeamRepository } from '#src/modules/teams/team.repository';

/** Teams (SPEC §13): the table and its repository; keys and limits build on it. */
@Module({
  imports: [TypeOrmModule.forFeature([TeamEntity])],
  providers: [TeamRepository],
  exports: [TeamRepository],
})
export class TeamsModule {}
