#!/usr/bin/env node
import 'reflect-metadata';
import { runMain } from '@semicache/runtime';
import { AppModule } from './app.module';
import { loadServerConfig } from './config/server-config';

const config = loadServerConfig();
runMain({ name: 'server', module: AppModule.forRoot(config), listener: config, logging: config });
