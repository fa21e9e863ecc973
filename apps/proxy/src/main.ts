#!/usr/bin/env node
import 'reflect-metadata';
import { hostPort, runMain } from '@semicache/runtime';
import { AppModule } from './app.module';
import { loadProxyConfig } from './config/proxy-config';

const config = loadProxyConfig();
runMain({
  name: 'proxy',
  module: AppModule.forRoot(config),
  listener: config,
  logging: config,
  readyDetails: () => `upstream=${hostPort(config.upstream.host, config.upstream.port)}`,
});
