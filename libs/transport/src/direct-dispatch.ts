import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants';
import {
  ApplicationConfig,
  DiscoveryService,
  MetadataScanner,
  ModulesContainer,
} from '@nestjs/core';
import { ContextUtils } from '@nestjs/core/helpers/context-utils';
import type { Server } from '@nestjs/microservices';
import { PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { DEFAULT_CALLBACK_METADATA } from '@nestjs/microservices/context/rpc-metadata-constants';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum';
import { RpcParamsFactory } from '@nestjs/microservices/factories/rpc-params-factory';
import {
  type EventOrMessageListenerDefinition,
  ListenerMetadataExplorer,
} from '@nestjs/microservices/listener-metadata-explorer';
import { ProtocolErrorFilter } from './protocol-error.filter';

/** Calls a `@MessagePattern` method with the arguments Nest would give it; returns what it returns. */
export type DirectHandler = (payload: unknown, context: unknown) => unknown;

/**
 * How requests of one pattern reach their handler: called directly, or through Nest's pipeline
 * (guards, interceptors, pipes, exception filters), with the first reason found why.
 */
export type Dispatch =
  | { readonly mode: 'direct'; readonly call: DirectHandler }
  | { readonly mode: 'pipeline'; readonly reason: string };

/** One parameter of a handler as Nest's parameter metadata describes it. */
interface ParamMetadata {
  readonly index: number;
  readonly data?: string | number | object;
  readonly pipes?: readonly unknown[];
}

const contextUtils = new ContextUtils();
const paramsFactory = new RpcParamsFactory();

/**
 * The transport's own filter only hands a `ProtocolError` on unchanged (Nest's default filter
 * would make it a generic error): the direct path does that by itself, so this filter alone is
 * no reason to take the pipeline. Any other filter is, a subclass of it too.
 */
function isPassThroughFilter(filter: unknown): boolean {
  return (
    filter === ProtocolErrorFilter ||
    (typeof filter === 'object' && filter !== null && filter.constructor === ProtocolErrorFilter)
  );
}

function listed(metadata: unknown): readonly unknown[] {
  return Array.isArray(metadata) ? metadata : [];
}

/** The fields of Nest's NestMicroservice read here: private to it, so checked, not trusted. */
interface MicroserviceFields {
  readonly serverInstance?: unknown;
  readonly applicationConfig?: unknown;
}

/**
 * The ApplicationConfig the pipeline of `server`'s microservice reads its global enhancers from:
 * the app's own with `inheritAppConfig: true`, a config of its own without (where
 * `microservice.useGlobal*()` go). Nest does not expose it, so it is read from the microservice
 * that has `server` as its strategy; undefined when there is none or the field is not there.
 */
function configOfMicroservice(
  app: INestApplicationContext,
  server: object,
): ApplicationConfig | undefined {
  const microservices = (app as Partial<INestApplication>).getMicroservices?.() ?? [];
  // A standalone microservice is the application itself.
  for (const candidate of [app, ...microservices] as MicroserviceFields[]) {
    if (candidate.serverInstance !== server) continue;
    const config = candidate.applicationConfig;
    return config instanceof ApplicationConfig ? config : undefined;
  }
  return undefined;
}

/**
 * The enhancers that apply to every handler: registered with `useGlobal*()` on the config the
 * microservice uses, or as `APP_GUARD`/`APP_INTERCEPTOR`/`APP_PIPE`/`APP_FILTER` providers,
 * static or request-scoped. Null when there is none.
 */
function globalReason(config: ApplicationConfig): string | null {
  if (config.getGlobalGuards().length + config.getGlobalRequestGuards().length > 0) {
    return 'global guard';
  }
  if (config.getGlobalInterceptors().length + config.getGlobalRequestInterceptors().length > 0) {
    return 'global interceptor';
  }
  if (config.getGlobalPipes().length + config.getGlobalRequestPipes().length > 0) {
    return 'global pipe';
  }
  if (config.getGlobalRequestFilters().length > 0) return 'global exception filter';
  if (!config.getGlobalFilters().every(isPassThroughFilter)) return 'global exception filter';
  return null;
}

/**
 * What the method or its class declares, read from the same metadata Nest's context creators
 * read (`@UseGuards`, `@UseInterceptors`, `@UseFilters`, `@UsePipes`); null when nothing.
 */
function declaredReason(owner: object, method: object): string | null {
  const both = (key: string) => [
    ...listed(Reflect.getMetadata(key, owner)),
    ...listed(Reflect.getMetadata(key, method)),
  ];
  if (both(GUARDS_METADATA).length > 0) return 'guard';
  if (both(INTERCEPTORS_METADATA).length > 0) return 'interceptor';
  if (both(PIPES_METADATA).length > 0) return 'pipe';
  if (!both(EXCEPTION_FILTERS_METADATA).every(isPassThroughFilter)) return 'exception filter';
  return null;
}

/**
 * The direct call, with the arguments Nest's pipeline would pass when it has no pipe to run:
 * each `@Payload()` (or a property of it) and `@Ctx()` parameter, by Nest's own parameter
 * factory; a handler without decorated parameters gets the payload. A string says why it
 * cannot be called directly (a parameter pipe, a custom parameter decorator).
 */
function directCall(instance: object, methodKey: string): DirectHandler | string {
  const declared: Record<string, ParamMetadata> | undefined = contextUtils.reflectCallbackMetadata(
    instance,
    methodKey,
    PARAM_ARGS_METADATA,
  );
  const metadata: Record<string, ParamMetadata> = declared ?? DEFAULT_CALLBACK_METADATA;
  const keys = Object.keys(metadata);
  for (const key of keys) {
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) return 'custom parameter decorator';
    if ((metadata[key].pipes ?? []).length > 0) return 'parameter pipe';
  }
  const method = (instance as Record<string, (...args: unknown[]) => unknown>)[methodKey];
  const params = keys.map((key) => ({
    index: metadata[key].index,
    type: Number(contextUtils.mapParamType(key)),
    data: metadata[key].data,
  }));
  const only = params.length === 1 ? params[0] : undefined;
  // The usual handler, `(@Payload() request)`, costs one call.
  if (only?.index === 0 && only.data === undefined && only.type === Number(RpcParamtype.PAYLOAD)) {
    return (payload) => method.call(instance, payload);
  }
  const length = contextUtils.getArgumentsLength(keys, metadata);
  return (payload, context) => {
    const source = [payload, context];
    const args = new Array<unknown>(length).fill(undefined);
    for (const { index, type, data } of params) {
      args[index] = paramsFactory.exchangeKeyForValue(type, data as string, source);
    }
    return method.apply(instance, args);
  };
}

/**
 * Decides once, at startup, how each of `patterns` is dispatched. A message handler is called
 * directly when nothing of Nest's per-message pipeline would run for it: no guard, interceptor,
 * pipe or exception filter on the method, its class or globally (ProtocolErrorFilter aside,
 * see isPassThroughFilter), no parameter pipe or custom parameter decorator, and a controller
 * that is not request-scoped. Otherwise (or when the pattern's handler is ambiguous, or the
 * config of `server`'s microservice cannot be found) Nest's own handler serves it, unchanged.
 * The server's `transportId` selects the handlers as Nest does.
 */
export function planDispatch(
  app: INestApplicationContext,
  server: Pick<Server, 'transportId'>,
  patterns: readonly string[],
): Map<string, Dispatch> {
  const transportId = server.transportId;
  const config = configOfMicroservice(app, server);
  const global = config === undefined ? 'microservice config unknown' : globalReason(config);
  const explorer = new ListenerMetadataExplorer(new MetadataScanner());
  const found = new Map<
    string,
    { definition: EventOrMessageListenerDefinition; static: boolean; instance: object }[]
  >();
  for (const wrapper of new DiscoveryService(app.get(ModulesContainer)).getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (instance === undefined || instance === null) continue;
    for (const definition of explorer.explore(instance)) {
      const { transport } = definition;
      if (transport !== undefined && transportId !== undefined && transport !== transportId)
        continue;
      for (const pattern of definition.patterns) {
        if (typeof pattern !== 'string' || !patterns.includes(pattern)) continue;
        const entry = { definition, static: wrapper.isDependencyTreeStatic(), instance };
        found.set(pattern, [...(found.get(pattern) ?? []), entry]);
      }
    }
  }
  const plan = new Map<string, Dispatch>();
  for (const pattern of patterns) {
    const handlers = found.get(pattern) ?? [];
    const reason = (why: string): Dispatch => ({ mode: 'pipeline', reason: why });
    if (handlers.length !== 1) {
      plan.set(pattern, reason(handlers.length === 0 ? 'no handler' : 'several handlers'));
      continue;
    }
    const [{ definition, instance }] = handlers;
    const call = directCall(instance, definition.methodKey);
    const why =
      (definition.isEventHandler ? 'event handler' : null) ??
      (handlers[0].static ? null : 'request-scoped controller') ??
      global ??
      declaredReason(instance.constructor, definition.targetCallback) ??
      (typeof call === 'string' ? call : null);
    plan.set(pattern, why === null ? { mode: 'direct', call: call as DirectHandler } : reason(why));
  }
  return plan;
}
