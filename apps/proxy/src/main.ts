#!/usr/bin/env node
import 'reflect-metadata';
import { hostPort, runMain } from '@semicache/runtime';
import { FailoverClient } from '@semicache/transport';
import { AppModule } from './app.module';
import { loadProxyConfig } from './config/proxy-config';
import { InvalidationService } from './invalidation/invalidation.service';
import { InvalidationSubscriber } from './invalidation/invalidation-subscriber';

const config = loadProxyConfig();
const { invalidation } = config;
runMain({
  name: 'proxy',
  module: AppModule.forRoot(config),
  listener: config,
  logging: config,
  // With several upstreams: the one requests go to now.
  readyDetails: (app) => {
    const { host, port } = app.get(FailoverClient).endpoint;
    return `upstream=${hostPort(host, port)}`;
  },
  // With --invalidation: a second microservice, Nest's Redis transport, for the invalidations.
  microservices: (app) => {
    if (invalidation === undefined) return;
    app.connectMicroservice({
      strategy: new InvalidationSubscriber(invalidation, app.get(InvalidationService)),
    });
  },
});
