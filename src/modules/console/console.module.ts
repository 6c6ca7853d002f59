import { Module } from '@nestjs/common';
import { AuthModule } from '#src/modules/auth/auth.module';
import { CONSOLE_ASSETS, ConsoleAppController } from '#src/modules/console/console-app.controller';
import { ConsoleAssets, defaultConsoleDir } from '#src/modules/console/console-assets';
import { ConsoleSessionController } from '#src/modules/console/console-session.controller';

/** The web console (SPEC §15): its sessions and its built files. Part of the API process only. */
@Module({
  imports: [AuthModule],
  controllers: [ConsoleSessionController, ConsoleAppController],
  providers: [{ provide: CONSOLE_ASSETS, useFactory: () => new ConsoleAssets(defaultConsoleDir()) }],
})
export class ConsoleModule {}
