/**
 * Events as a Nest module: one EventRecorder (the control loops report through it) on the
 * app's etcd connection (the EventService that both API transports read through is in services/). Needs
 * ControllerConfig and LOGGER from the app. Before the app shuts down the recorder writes the
 * counts it deferred and waits (bounded) for writes in flight, while etcd is still connected.
 */
import { Inject, Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ControllerConfig } from '../config';
import { LOGGER } from '../observability';
import { BackendModule, EtcdBackend } from '../backend';
import { EventRecorder } from './event-recorder';

/** How long shutdown waits for event writes. */
export const EVENT_FLUSH_WAIT_MS = 2_000;

@Injectable()
export class EventsLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(EventRecorder) private readonly recorder: EventRecorder) {}

  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, EVENT_FLUSH_WAIT_MS)));
    await Promise.race([this.recorder.flush(), bound]);
    clearTimeout(timer);
  }
}

@Module({
  imports: [BackendModule],
  providers: [
    {
      provide: EventRecorder, inject: [EtcdBackend, ControllerConfig, LOGGER],
      useFactory: (b: EtcdBackend, c: ControllerConfig, logger: Logger) => {
        const log = logger.child({ component: 'events' });
        return new EventRecorder({
          connection: b.connection, ttlSeconds: Math.round(c.eventTtlMs / 1000),
          onError: (err, e) => log.warn({ err, kind: e.kind, name: e.name, reason: e.reason }, 'event not recorded'),
        });
      },
    },
    EventsLifecycle,
  ],
  exports: [EventRecorder],
})
export class EventsModule {}
