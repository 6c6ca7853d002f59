import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { MetricsController } from '#src/modules/metrics/metrics.controller';

/**
 * `/metrics` through @willsoto/nestjs-prometheus. prom-client's registry is process-global, so default
 * metrics are registered only by the first app built in a process (tests build several). The gateway's
 * own metrics live in gateway-metrics.ts; the call metrics come from MetricsSink (proxy only).
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(): DynamicModule {
    const defaultsRegistered = register.getSingleMetric('process_cpu_user_seconds_total') !== undefined;
    return {
      module: MetricsModule,
      imports: [
        PrometheusModule.register({
          controller: MetricsController,
          path: '/metrics',
          defaultMetrics: { enabled: !defaultsRegistered },
        }),
      ],
      exports: [PrometheusModule],
    };
  }
}
