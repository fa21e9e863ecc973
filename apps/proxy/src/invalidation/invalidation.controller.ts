import { Controller } from '@nestjs/common';
import { EventPattern, Payload, Transport } from '@nestjs/microservices';
import { INVALIDATION_CHANNEL } from '@semicache/runtime';
import { InvalidationService } from './invalidation.service';

/** The invalidations servers publish (Nest's Redis transport, see InvalidationSubscriber). */
@Controller()
export class InvalidationController {
  constructor(private readonly invalidations: InvalidationService) {}

  @EventPattern(INVALIDATION_CHANNEL, Transport.REDIS)
  invalidated(@Payload() message: unknown): void {
    this.invalidations.apply(message);
  }
}
