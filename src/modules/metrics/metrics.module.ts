import { Controller, type DynamicModule, Global, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import type { AppConfig } from '#src/core/config/app-config';
import { MetricsController } from '#src/modules/metrics/metrics.controller';
import { MetricsServer } from '#src/modules/metrics/metrics-server.service';

/** Stands in for MetricsController when METRICS_PORT moves `/metrics` off the application's port: no routes. */
@ApiExcludeController()
@Controller()
class NoMetricsRoute {}

/**
 * `/metrics` through @willsoto/nestjs-prometheus, on the application's port, or with METRICS_PORT set on that
 * port only (MetricsServer). prom-client's registry is process-global, so default
 * metrics are registered only by the first app built in a process (tests build several). The gateway's
 * own metrics live in gateway-metrics.ts; the call metrics come from MetricsSink (proxy only).
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const defaultsRegistered = register.getSingleMetric('process_cpu_user_seconds_total') !== undefined;
    return {
      module: MetricsModule,
      imports: [
        PrometheusModule.register({
          controller: config.env.METRICS_PORT === undefined ? MetricsController : NoMetricsRoute,
          path: '/metrics',
          defaultMetrics: { enabled: !defaultsRegistered },
        }),
      ],
      providers: [MetricsServer],
      exports: [PrometheusModule],
    };
  }
}
